-- Sign-off for independent practice of a procedure skill (domain-standards 4, [I]): one row per staff member x
-- procedure competency with supervised performances logged. Signed off on the day the Nth supervised performance
-- was logged (N = supervised_performances_needed, seeds/procedure_catalog.csv; a completed procedure performed with
-- supervised_by set), or on an earlier passing supervised_performance assessment (the assessor's sign-off, which
-- documents training that predates the procedure log).
with performances as (
    select * from {{ ref('int_competency_performances') }}
    where performance_type = 'procedure' and competency_code is not null
),

needed as (
    select competency_code, cast(max(supervised_performances_needed) as integer) as supervised_performances_needed
    from {{ ref('procedure_catalog') }}
    where competency_code is not null
    group by all
),

supervised as (
    select
        clinic_id,
        performed_by as staff_id,
        competency_code,
        performed_on,
        row_number() over (partition by clinic_id, performed_by, competency_code
                           order by performed_on, record_id) as supervised_number
    from performances
    where supervised_by is not null and status = 'completed'
),

by_count as (
    select
        s.clinic_id,
        s.staff_id,
        s.competency_code,
        n.supervised_performances_needed,
        count(*) as supervised_performances_logged,
        min(s.performed_on) filter (where s.supervised_number = n.supervised_performances_needed)
            as signed_off_by_count_on
    from supervised s
    join needed n using (competency_code)
    group by all
),

by_assessment as (
    select clinic_id, staff_id, competency_code, min(completed_on) as signed_off_by_assessment_on,
           count(*) as signoff_assessments
    from {{ ref('int_competency_assessment_events') }}
    where competency_kind = 'procedure'
    group by all
),

pairs as (
    select clinic_id, staff_id, competency_code from by_count
    union
    select clinic_id, staff_id, competency_code from by_assessment
)

select
    p.clinic_id,
    p.staff_id,
    p.competency_code,
    coalesce(c.supervised_performances_needed, n.supervised_performances_needed) as supervised_performances_needed,
    coalesce(c.supervised_performances_logged, 0) as supervised_performances_logged,
    c.signed_off_by_count_on,
    a.signed_off_by_assessment_on,
    least(c.signed_off_by_count_on, a.signed_off_by_assessment_on) as signed_off_on,
    case
        when c.signed_off_by_count_on is null and a.signed_off_by_assessment_on is null then null
        when a.signed_off_by_assessment_on is null
          or c.signed_off_by_count_on <= a.signed_off_by_assessment_on then 'supervised_performances'
        else 'assessment'
    end as signed_off_by
from pairs p
left join by_count c using (clinic_id, staff_id, competency_code)
left join by_assessment a using (clinic_id, staff_id, competency_code)
left join needed n using (competency_code)
