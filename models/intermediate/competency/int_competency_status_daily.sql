-- Competency status per staff member x competency x day (domain-standards 4): current / due_soon (falls due within
-- competency_due_soon_days, 30) / overdue / never_assessed. Test systems: by the last completed assessment and the
-- date the next falls due (int_competency_assessment_events). Procedure skills: never_assessed until signed off;
-- then due at the earlier of the practice deadline (procedure_lapse_days after the last valid sign-off or independent
-- case) and the periodic re-assessment (reassess_months after the last sign-off). "Due" on the due date itself;
-- overdue from the day after. Pairs: every staff member with an assessment, a sign-off or a performance needing it.
-- A table, not a view: the competency checks, the daily mart and the supervisor worklist all read it. Incremental: a
-- run adds each clinic's new days for every pair, and recomputes all days of the pairs whose history changed
-- (macro competency_stale). With var competency_as_of_date later than the data, or a changed seed, var or model,
-- run --full-refresh.
{{ clinic_day_config("{{ competency_pre_hooks('competency') }}",
                    post_hook="{{ competency_post_hooks('competency') }}") }}
{%- set soon = var('competency_due_soon_days') %}
with calendar as (
    select * from {{ ref('int_competency_calendar') }}
),

staff as (
    select clinic_id, staff_id, display_name, role, started_on, ended_on, supervisor_id
    from {{ ref('stg_backoffice__staff') }}
),

catalog as (
    select competency_code, competency_name, competency_kind, testing_complexity, reassess_months
    from {{ ref('competency_catalog') }}
),

events as (
    select * from {{ ref('int_competency_assessment_events') }}
),

signoffs as (
    select * from {{ ref('int_competency_procedure_signoffs') }}
),

practice as (
    select clinic_id, staff_id, competency_code, event_on, practice_due_on
    from {{ ref('int_competency_practice_events') }}
    where is_valid
),

procedure_assessments as (
    -- Sign-offs and later sign-off assessments of procedure skills start the periodic re-assessment clock.
    select clinic_id, staff_id, competency_code, completed_on as assessed_on, next_due_on as reassess_due_on
    from events
    where competency_kind = 'procedure'
    union all
    select s.clinic_id, s.staff_id, s.competency_code, s.signed_off_on,
           cast(s.signed_off_on + to_months(c.reassess_months) as date)
    from signoffs s
    join catalog c using (competency_code)
    where s.signed_off_by = 'supervised_performances'
),

pairs as (
    {{ competency_pairs() }}
),

grid as (
    select p.clinic_id, p.staff_id, p.competency_code, c.status_date
    from pairs p
    join calendar c using (clinic_id)
    where {{ clinic_day_due('status_date', 'p.clinic_id', 'c.status_date',
                            ['p.clinic_id', 'p.staff_id', 'p.competency_code'],
                            ['clinic_id', 'staff_id', 'competency_code']) }}
),

test_status as (
    select g.*, e.completed_on as last_assessed_on, e.next_due_on as assessment_due_on
    from grid g
    asof left join events e
        on e.clinic_id = g.clinic_id and e.staff_id = g.staff_id and e.competency_code = g.competency_code
       and g.status_date >= e.completed_on
),

with_practice as (
    select t.*, pr.event_on as last_practice_on, pr.practice_due_on
    from test_status t
    asof left join practice pr
        on pr.clinic_id = t.clinic_id and pr.staff_id = t.staff_id and pr.competency_code = t.competency_code
       and t.status_date >= pr.event_on
),

with_reassessment as (
    select w.*, pa.assessed_on as last_signoff_assessment_on, pa.reassess_due_on
    from with_practice w
    asof left join procedure_assessments pa
        on pa.clinic_id = w.clinic_id and pa.staff_id = w.staff_id and pa.competency_code = w.competency_code
       and w.status_date >= pa.assessed_on
),

resolved as (
    select
        r.clinic_id,
        r.staff_id,
        r.competency_code,
        c.competency_kind,
        c.testing_complexity,
        r.status_date,
        s.role,
        s.supervisor_id,
        s.staff_id is not null
            and r.status_date >= s.started_on
            and (s.ended_on is null or r.status_date <= s.ended_on) as is_employed,
        so.signed_off_on,
        so.supervised_performances_logged,
        so.supervised_performances_needed,
        case when c.competency_kind = 'procedure' then r.last_signoff_assessment_on else r.last_assessed_on end
            as last_assessed_on,
        r.last_practice_on,
        case
            when c.competency_kind = 'test_system' then r.last_assessed_on is not null
            else so.signed_off_on is not null and r.status_date >= so.signed_off_on
        end as is_assessed,
        case
            when c.competency_kind = 'test_system' then r.assessment_due_on
            else least(r.practice_due_on, r.reassess_due_on)
        end as due_on,
        case
            when c.competency_kind = 'test_system' then 'assessment'
            when r.reassess_due_on is null or r.practice_due_on <= r.reassess_due_on then 'independent_case'
            else 'assessment'
        end as due_for
    from with_reassessment r
    join catalog c using (competency_code)
    left join staff s on s.clinic_id = r.clinic_id and s.staff_id = r.staff_id
    left join signoffs so
        on so.clinic_id = r.clinic_id and so.staff_id = r.staff_id and so.competency_code = r.competency_code
)

select
    *,
    case when is_assessed then due_on - status_date end as days_until_due,
    case
        when not is_assessed then 'never_assessed'
        when due_on is null or due_on - status_date > {{ soon }} then 'current'
        when due_on >= status_date then 'due_soon'
        else 'overdue'
    end as status,
    {{ competency_built_at() }} as _built_at
from resolved
