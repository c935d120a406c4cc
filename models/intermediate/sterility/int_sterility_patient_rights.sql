-- Patients' rights at procedures: a chaperone requested for the visit is present, an interpreter requested is present.
-- One row per procedure (not cancelled) whose encounter requested either; presence is recorded on the procedure.
with procedures as (
    select * from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
),

encounters as (
    select clinic_id, encounter_id, chaperone_requested, interpreter_requested
    from {{ ref('stg_backoffice__encounters') }}
)

select
    p.clinic_id,
    p.procedure_id,
    p.procedure_code,
    p.room_id,
    p.patient_id,
    p.encounter_id,
    cast(coalesce(p.procedure_start_at_local, p.patient_in_at_local) as date) as procedure_date,
    coalesce(e.chaperone_requested, false) as chaperone_requested,
    p.chaperone_present,
    coalesce(e.interpreter_requested, false) as interpreter_requested,
    p.interpreter_present
from procedures p
join encounters e on e.clinic_id = p.clinic_id and e.encounter_id = p.encounter_id
where e.chaperone_requested or e.interpreter_requested
