-- Recency of practice after sign-off (domain-standards 4: lapse if no independent case in procedure_lapse_days,
-- default 90): one row per sign-off (the first one and every later passing supervised_performance assessment) and
-- per independent case (completed, no supervisor) of a signed-off procedure skill, in date order. A gap of more
-- than procedure_lapse_days since the previous event lapses the sign-off; independent cases after a lapse do not
-- restore it (is_valid = false) - the next sign-off assessment does. The clock cannot run before the clinic's
-- procedure records begin, so an event before that counts from the first day on record.
-- A table, incremental by staff member x procedure skill (macro practice_pre_hooks): a run recomputes the whole
-- history of the pairs with a new or changed sign-off, sign-off assessment or procedure since the previous run (and
-- every pair of a clinic whose procedure records now begin earlier), and keeps the others: a pair's lapses depend on
-- its whole history, so the status of every pair on a new day needs them all, and the windows over the whole history
-- were most of the incremental run's competency time. A changed seed or var needs --full-refresh.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ practice_pre_hooks() }}", post_hook="{{ practice_post_hooks() }}") }}
{%- set lapse_days = var('procedure_lapse_days') %}
with signoffs as (
    select * from {{ ref('int_competency_procedure_signoffs') }}
    where signed_off_on is not null
),

records_begin as (
    select clinic_id, min(performed_on) as records_begin_on
    from {{ ref('int_competency_performances') }}
    where performance_type = 'procedure'
    group by all
),

events as (
    select clinic_id, staff_id, competency_code, signed_off_on as event_on, 'sign_off' as event_kind,
           null as record_id
    from signoffs

    union all
    select a.clinic_id, a.staff_id, a.competency_code, a.completed_on, 'sign_off', null
    from {{ ref('int_competency_assessment_events') }} a
    join signoffs s using (clinic_id, staff_id, competency_code)
    where a.competency_kind = 'procedure' and a.completed_on > s.signed_off_on

    union all
    select p.clinic_id, p.performed_by, p.competency_code, p.performed_on, 'independent_case', p.record_id
    from {{ ref('int_competency_performances') }} p
    join signoffs s on s.clinic_id = p.clinic_id and s.staff_id = p.performed_by
                   and s.competency_code = p.competency_code
    where p.performance_type = 'procedure' and p.supervised_by is null and p.status = 'completed'
      and p.performed_on >= s.signed_off_on
),

events_due as (
    select e.* from events e
    {%- if is_incremental() %}
    join {{ practice_pairs_table() }} d
        on d.clinic_id = e.clinic_id and d.staff_id = e.staff_id and d.competency_code = e.competency_code
    {%- endif %}
),

segmented as (
    -- One window over the pair's events: the segment (sign-offs so far) and the previous event's clock. A sign-off
    -- opens a segment, so its previous event is in another segment; any other event's is in its own.
    select
        e.*,
        greatest(e.event_on, coalesce(r.records_begin_on, e.event_on)) as clock_from,
        sum(case when e.event_kind = 'sign_off' then 1 else 0 end) over pair_order as segment,
        lag(greatest(e.event_on, coalesce(r.records_begin_on, e.event_on))) over pair_order as previous_clock_from
    from events_due e
    left join records_begin r on r.clinic_id = e.clinic_id
    window pair_order as (partition by e.clinic_id, e.staff_id, e.competency_code
                          order by e.event_on, e.event_kind desc, e.record_id
                          rows unbounded preceding)
),

gaps as (
    select
        * exclude (previous_clock_from),
        case when event_kind <> 'sign_off' then clock_from - previous_clock_from end as days_since_previous
    from segmented
)

select
    clinic_id,
    staff_id,
    competency_code,
    segment,
    event_on,
    event_kind,
    record_id,
    clock_from,
    days_since_previous,
    not coalesce(bool_or(days_since_previous > {{ lapse_days }}) over (
        partition by clinic_id, staff_id, competency_code, segment
        order by event_on, event_kind desc, record_id
        rows unbounded preceding
    ), false) as is_valid,
    cast(clock_from + to_days({{ lapse_days }}) as date) as practice_due_on
from gaps
