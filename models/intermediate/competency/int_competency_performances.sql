-- Every test or procedure a staff member performed, with the competency it needs (domain-standards 4): completed or
-- aborted procedures (supervised or not) and in-house tests with a final or corrected result. Dated on the clinic's
-- local calendar day of the procedure start (patient in when missing) or the test result (collection when missing).
with coverage as (
    select * from {{ ref('int_competency_coverage') }}
),

procedures as (
    select
        p.clinic_id,
        'procedure' as performance_type,
        p.procedure_id as record_id,
        p.procedure_code as performed_code,
        p.performed_by,
        p.supervised_by,
        p.status,
        cast(coalesce(p.procedure_start_at_local, p.patient_in_at_local) as date) as performed_on,
        p.patient_id,
        p.ingested_at
    from {{ ref('stg_backoffice__procedures') }} p
    where p.status in ('completed', 'aborted')
      and coalesce(p.procedure_start_at_local, p.patient_in_at_local) is not null
),

tests as (
    select
        s.clinic_id,
        'test' as performance_type,
        s.specimen_id || ' ' || s.test_code as record_id,
        s.test_code as performed_code,
        s.performed_by,
        null as supervised_by,
        s.status,
        cast(coalesce(s.resulted_at_local, s.verified_at_local, s.collected_at_local) as date) as performed_on,
        s.patient_id,
        s.ingested_at
    from {{ ref('stg_backoffice__lab_specimens') }} s
    where s.performing_site = 'in_house'
      and s.status in ('final', 'corrected')
      and s.performed_by is not null
),

performances as (
    select * from procedures
    union all
    select * from tests
)

select
    p.clinic_id,
    p.performance_type,
    p.record_id,
    p.performed_code,
    p.performed_by,
    cast(p.supervised_by as varchar) as supervised_by,
    p.status,
    p.performed_on,
    p.patient_id,
    c.competency_code,
    p.ingested_at
from performances p
left join coverage c
    on c.covered_kind = p.performance_type and c.covered_code = p.performed_code
