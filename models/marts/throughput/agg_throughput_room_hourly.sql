-- Procedures per staffed hour per room x local day x clock-hour slot (issue 4, Throughput): completed procedures
-- whose patient went in during the slot (int_throughput_events) over the slot's staffed hours from the room
-- schedule (int_room_slots: DST-correct, so a fall-back 02:00 slot can have 2 staffed hours). Slots that are
-- staffed or had a procedure are listed; procedures in unstaffed slots have no rate.
-- Incremental by local day, like the room marts.
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with slots as (
    select s.clinic_id, s.room_id, s.day, s.slot_hour, s.staffed_min
    from {{ ref('int_room_slots') }} s
    where {{ clinic_day_due('day', 's.clinic_id', 's.day') }}
),

procedures as (
    select e.clinic_id, e.room_id, e.day, e.hour_of_day as slot_hour, count(*) as procedures
    from {{ ref('int_throughput_events') }} e
    where e.activity_type = 'procedure' and {{ clinic_day_due('day', 'e.clinic_id', 'e.day') }}
    group by all
),

rooms as (
    select clinic_id, room_id, room_type from {{ ref('stg_backoffice__rooms') }}
),

combined as (
    select
        coalesce(s.clinic_id, p.clinic_id) as clinic_id,
        coalesce(s.room_id, p.room_id) as room_id,
        coalesce(s.day, p.day) as day,
        coalesce(s.slot_hour, p.slot_hour) as slot_hour,
        coalesce(s.staffed_min, 0) as staffed_min,
        coalesce(p.procedures, 0) as procedures
    from slots s
    full join procedures p
        on p.clinic_id = s.clinic_id and p.room_id = s.room_id and p.day = s.day and p.slot_hour = s.slot_hour
)

select
    c.clinic_id,
    c.room_id,
    rooms.room_type,
    c.day,
    isodow(c.day) as weekday,
    c.slot_hour,
    c.staffed_min,
    c.staffed_min / 60.0 as staffed_hours,
    c.procedures,
    case when c.staffed_min > 0 then round(c.procedures / (c.staffed_min / 60.0), 3) end
        as procedures_per_staffed_hour
from combined c
left join rooms on rooms.clinic_id = c.clinic_id and rooms.room_id = c.room_id
