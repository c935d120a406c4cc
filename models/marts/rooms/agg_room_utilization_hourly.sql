-- Room utilization per room x local day x local clock-hour slot with staffed time (AACD, domain-standards 2.1):
--   raw      = minutes with a patient in the room inside the slot's staffed time / staffed minutes of the slot;
--   adjusted = minutes the room was in use during the slot's clock hour - patient in room, turnover between
--              consecutive cases, or cleaning after a case - / staffed minutes; it credits clean-up and
--              turnover and counts use beyond closing time in the slot, so it may exceed 100 %.
-- Slots are bounded in UTC (int_room_slots), so DST change days have slots of 0 or 120 real minutes.
-- Incremental by local day, like fct_room_occupancy.
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with slots as (
    select s.*
    from {{ ref('int_room_slots') }} s
    where {{ clinic_day_due('day', 's.clinic_id', 's.day') }}
),

intervals as (
    select i.*
    from {{ ref('int_room_use_intervals') }} i
    where {{ clinic_day_due('day', 'i.clinic_id', 'i.day') }}
),

slot_use as (
    select
        s.clinic_id,
        s.room_id,
        s.day,
        s.slot_hour,
        -- sums of whole seconds, divided once: exact, whatever order the rows are added in
        sum(case when i.measure = 'occupied' then greatest(0,
            date_diff('second', greatest(i.start_at, s.staffed_start_at), least(i.end_at, s.staffed_end_at)))
        end) / 60.0 as occupied_min,
        sum(case when i.measure = 'used' then greatest(0,
            date_diff('second', greatest(i.start_at, s.slot_start_at), least(i.end_at, s.slot_end_at)))
        end) / 60.0 as used_min
    from slots s
    join intervals i
        on i.clinic_id = s.clinic_id and i.room_id = s.room_id and i.day = s.day
        and i.start_at < s.slot_end_at and i.end_at > s.slot_start_at
    group by all
)

select
    s.clinic_id,
    s.room_id,
    s.room_type,
    s.day,
    isodow(s.day) as weekday,
    s.slot_hour,
    s.staffed_min,
    coalesce(u.occupied_min, 0) as occupied_min,
    round(100.0 * coalesce(u.occupied_min, 0) / s.staffed_min, 2) as raw_utilization_pct,
    coalesce(u.used_min, 0) as used_min,
    round(100.0 * coalesce(u.used_min, 0) / s.staffed_min, 2) as adjusted_utilization_pct
from slots s
left join slot_use u
    on u.clinic_id = s.clinic_id and u.room_id = s.room_id and u.day = s.day and u.slot_hour = s.slot_hour
