-- One row per room occupancy (a procedure with the patient in the room), with in-room minutes and the turnover
-- to the next patient (AACD Procedural Times Glossary, domain-standards 2.1): previous patient out -> next
-- patient in, same room and same local day, consecutive cases only. Occupancies with an impossible timeline
-- (out before in) stay in the table but are left out of turnover and utilization.
with procedures as (
    select * from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
      and patient_in_at is not null
),

occupancies as (
    select
        clinic_id,
        room_id,
        procedure_id,
        procedure_code,
        performed_by,
        supervised_by,
        encounter_id,
        patient_id,
        status,
        scheduled_start_at_local,
        patient_in_at,
        patient_out_at,
        procedure_start_at,
        procedure_end_at,
        patient_in_at_local,
        patient_out_at_local,
        cast(patient_in_at_local as date) as occupancy_date,
        {{ minutes_between('patient_in_at', 'patient_out_at') }} as in_room_min,
        {{ minutes_between('procedure_start_at', 'procedure_end_at') }} as procedure_min,
        (patient_out_at is null or patient_out_at <= patient_in_at or len(data_flags) > 0) as has_timeline_error,
        data_flags
    from procedures
),

sequenced as (
    select
        *,
        row_number() over day_order as case_number_of_day,
        count(*) over (partition by clinic_id, room_id, occupancy_date) as cases_in_day,
        lead(patient_in_at) over day_order as next_patient_in_at
    from occupancies
    where not has_timeline_error
    window day_order as (partition by clinic_id, room_id, occupancy_date order by patient_in_at, procedure_id)
)

select
    o.*,
    s.case_number_of_day,
    s.cases_in_day,
    {{ minutes_between('o.patient_out_at', 's.next_patient_in_at') }} as turnover_to_next_min
from occupancies o
left join sequenced s using (clinic_id, room_id, procedure_id)
