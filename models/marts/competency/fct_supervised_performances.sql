-- The supervised-performance log per trainee (domain-standards 4, [I] procedure log): every procedure of a skill
-- performed under supervision, and every passing supervised_performance assessment, with the supervisor and the
-- running count towards sign-off. One row per logged performance.
with procedures as (
    select clinic_id, performed_by as staff_id, competency_code, performed_on, 'procedure' as source,
           record_id, supervised_by as supervisor_id, status
    from {{ ref('int_competency_performances') }}
    where performance_type = 'procedure' and competency_code is not null and supervised_by is not null
),

assessments as (
    select s.clinic_id, a.staff_id, a.competency_code, a.assessed_on, 'assessment', a.assessment_id,
           a.assessor_id, a.outcome
    from {{ ref('stg_backoffice__competency_assessments') }} a
    join {{ ref('stg_backoffice__staff') }} s using (staff_id)
    where a.element = 'supervised_performance'
),

logged as (
    select * from procedures
    union all
    select * from assessments
)

select
    l.clinic_id,
    l.staff_id,
    l.competency_code,
    l.performed_on,
    l.source,
    l.record_id,
    l.supervisor_id,
    l.status as outcome,
    count(*) filter (where l.source = 'procedure' and l.status = 'completed') over (
        partition by l.clinic_id, l.staff_id, l.competency_code order by l.performed_on, l.source, l.record_id
        rows unbounded preceding
    ) as supervised_procedures_so_far,
    so.supervised_performances_needed,
    so.signed_off_on
from logged l
left join {{ ref('int_competency_procedure_signoffs') }} so using (clinic_id, staff_id, competency_code)
