-- Recall trace (domain-standards 3.1): for every positive biological indicator, every load on that sterilizer since its
-- last negative BI (and until the next one), and every procedure that used instruments from those loads with its
-- pseudonymous patient. One row per positive-BI load x implicated load x procedure (procedure columns empty for a
-- load no procedure used).
with recall as (
    select * from {{ ref('int_sterility_recall_loads') }}
),

procedures as (
    select
        clinic_id, procedure_id, procedure_code, room_id, patient_id, performed_by, status, sterilizer_load_id,
        coalesce(procedure_start_at_local, patient_in_at_local) as performed_at_local
    from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
)

select
    r.clinic_id,
    r.sterilizer_id,
    r.positive_load_id,
    r.positive_cycle_date,
    r.positive_bi_read_at,
    r.last_negative_bi_started_at,
    r.next_negative_bi_started_at,
    r.load_id,
    r.cycle_type,
    r.started_at_local as load_started_at_local,
    r.released_at is not null as load_was_released,
    r.is_implant_load,
    r.recall_position,
    p.procedure_id,
    p.procedure_code,
    p.room_id,
    p.performed_at_local,
    p.performed_by,
    p.patient_id
from recall r
left join procedures p on p.clinic_id = r.clinic_id and p.sterilizer_load_id = r.load_id
