-- Cleaning between consecutive patients (AORN end-of-procedure cleaning; domain-standards 3.3): one row per pair of
-- consecutive occupancies of a room on one local day by different patients, with the cleaning events logged between
-- the first patient out and the next patient in. Occupancies with an impossible timeline are left out.
with occupancies as (
    select
        clinic_id, room_id, procedure_id, patient_id, patient_in_at, patient_out_at,
        cast(patient_in_at_local as date) as occupancy_date
    from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
      and patient_in_at is not null
      and patient_out_at is not null
      and patient_out_at >= patient_in_at
),

events as (
    select clinic_id, room_id, event_type, occurred_at
    from {{ ref('stg_backoffice__room_events') }}
    where event_type in ('cleaning_start', 'cleaning_end', 'terminal_clean_start', 'terminal_clean_end')
),

pairs as (
    select
        *,
        lead(procedure_id) over day_order as next_procedure_id,
        lead(patient_id) over day_order as next_patient_id,
        lead(patient_in_at) over day_order as next_patient_in_at
    from occupancies
    window day_order as (partition by clinic_id, room_id, occupancy_date order by patient_in_at, procedure_id)
)

select
    p.clinic_id,
    p.room_id,
    p.occupancy_date,
    p.procedure_id,
    p.patient_out_at,
    p.next_procedure_id,
    p.next_patient_id,
    p.next_patient_in_at,
    count(e.occurred_at) as cleaning_events,
    count(e.occurred_at) > 0 as is_compliant
from pairs p
left join events e
    on e.clinic_id = p.clinic_id
   and e.room_id = p.room_id
   and e.occurred_at between p.patient_out_at and p.next_patient_in_at
where p.next_procedure_id is not null
  and p.next_patient_id is distinct from p.patient_id
group by all
