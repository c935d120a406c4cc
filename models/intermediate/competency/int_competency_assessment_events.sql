-- Completed competency assessments: one row per staff member x competency x assessment, dated the day the last of the
-- catalog's required elements passed, all within competency_assessment_window_days (domain-standards 4: all six CLIA
-- elements for non-waived testing, the catalog's elements for waived testing; a passing supervised_performance for
-- a procedure skill). Later completions within the window belong to the same assessment. Each assessment carries the
-- date the next one falls due: non-waived testers are assessed clia_first_year_interval_months (6) and twice that
-- (12) months after they started testing, then every reassess_months (12); waived testing and procedure skills every
-- reassess_months. The first-year schedule applies to people who joined after the clinic's assessment records begin
-- (their first recorded assessment is their initial one); for others the records cannot show when they started.
{%- set window_days = var('competency_assessment_window_days') %}
{%- set first_year = var('clia_first_year_interval_months') %}
with catalog as (
    select
        competency_code,
        competency_kind,
        testing_complexity,
        reassess_months,
        list_transform(string_split(required_elements, '|'), lambda e: trim(e)) as required_elements
    from {{ ref('competency_catalog') }}
),

assessments as (
    select * from {{ ref('stg_backoffice__competency_assessments') }}
),

staff as (
    select clinic_id, staff_id, started_on from {{ ref('stg_backoffice__staff') }}
),

history_start as (
    -- The earliest assessment on record for each clinic's staff: where the clinic's competency records begin.
    select s.clinic_id, min(a.assessed_on) as records_begin_on
    from assessments a
    join staff s using (staff_id)
    group by all
),

passes as (
    select a.staff_id, a.competency_code, a.element, a.assessed_on, a.assessor_id
    from assessments a
    join catalog c using (competency_code)
    where a.outcome = 'pass' and list_contains(c.required_elements, a.element)
),

candidate_days as (
    select distinct staff_id, competency_code, assessed_on as candidate_on from passes
),

complete_days as (
    select
        d.staff_id,
        d.competency_code,
        d.candidate_on as completed_on,
        arg_max(p.assessor_id, p.assessed_on) as assessor_id
    from candidate_days d
    join passes p
        on p.staff_id = d.staff_id
       and p.competency_code = d.competency_code
       and p.assessed_on > d.candidate_on - {{ window_days }}
       and p.assessed_on <= d.candidate_on
    join catalog c on c.competency_code = d.competency_code
    group by d.staff_id, d.competency_code, d.candidate_on, c.required_elements
    having count(distinct p.element) = len(c.required_elements)
),

events as (
    select *
    from (
        select *, lag(completed_on) over (partition by staff_id, competency_code order by completed_on) as previous_on
        from complete_days
    )
    where previous_on is null or completed_on - previous_on >= {{ window_days }}
),

numbered as (
    select
        s.clinic_id,
        e.staff_id,
        e.competency_code,
        c.competency_kind,
        c.testing_complexity,
        c.reassess_months,
        e.completed_on,
        e.assessor_id,
        row_number() over pair_order - 1 as assessment_number,
        first_value(e.completed_on) over pair_order as first_completed_on,
        lead(e.completed_on) over pair_order as next_completed_on,
        c.testing_complexity = 'non_waived' and s.started_on >= h.records_begin_on as first_year_schedule
    from events e
    join staff s on s.staff_id = e.staff_id
    join catalog c on c.competency_code = e.competency_code
    left join history_start h on h.clinic_id = s.clinic_id
    window pair_order as (partition by s.clinic_id, e.staff_id, e.competency_code order by e.completed_on)
)

select
    clinic_id,
    staff_id,
    competency_code,
    competency_kind,
    testing_complexity,
    completed_on,
    assessor_id,
    assessment_number,
    first_completed_on,
    next_completed_on,
    first_year_schedule,
    cast(case
        when first_year_schedule and assessment_number = 0
            then first_completed_on + to_months({{ first_year }})
        when first_year_schedule and assessment_number = 1
             and completed_on < first_completed_on + to_months({{ 2 * first_year }})
            then first_completed_on + to_months({{ 2 * first_year }})
        when reassess_months is not null then completed_on + to_months(reassess_months)
    end as date) as next_due_on
from numbered
