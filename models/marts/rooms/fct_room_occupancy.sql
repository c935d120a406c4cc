-- One row per room occupancy: in-room and procedure minutes, turnover to the next patient, prolonged flag.
with occupancies as (
    select * from {{ ref('int_room_occupancies') }}
),

rooms as (
    select clinic_id, room_id, name as room_name, room_type from {{ ref('stg_backoffice__rooms') }}
),

room_means as (
    select clinic_id, room_id, avg(turnover_to_next_min) as mean_turnover_min
    from occupancies
    where turnover_to_next_min is not null
    group by all
)

select
    o.clinic_id,
    o.room_id,
    coalesce(rooms.room_name, o.room_id) as room_name,
    rooms.room_type,
    o.procedure_id,
    o.procedure_code,
    o.performed_by,
    o.supervised_by,
    o.status,
    o.occupancy_date,
    o.patient_in_at_local,
    o.patient_out_at_local,
    o.in_room_min,
    o.procedure_min,
    o.case_number_of_day,
    o.cases_in_day,
    o.turnover_to_next_min,
    o.turnover_to_next_min > m.mean_turnover_min + {{ var('prolonged_turnover_excess_minutes') }}
        as is_prolonged_turnover,
    case when o.case_number_of_day = 1 and o.scheduled_start_at_local is not null
        then o.patient_in_at_local <= o.scheduled_start_at_local + to_minutes({{ var('first_case_grace_minutes') }})
    end as is_first_case_on_time,
    o.has_timeline_error
from occupancies o
left join rooms using (clinic_id, room_id)
left join room_means m using (clinic_id, room_id)
