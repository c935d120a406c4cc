-- Room utilization per room x local day with staffed time (AACD, domain-standards 2.1):
--   raw      = patient-in-room minutes within staffed hours / staffed minutes (the sum of the hourly slots);
--   adjusted = minutes of the local day the room was in use (patient in room, turnover between consecutive
--              cases, cleaning after a case), inside or outside staffed hours / staffed minutes; may exceed 100 %.
-- Incremental by local day, like fct_room_occupancy.
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with hourly as (
    select h.*
    from {{ ref('agg_room_utilization_hourly') }} h
    where {{ clinic_day_due('day', 'h.clinic_id', 'h.day') }}
),

day_use as (
    -- the pieces are already cut at local midnight (int_room_use_intervals)
    select i.clinic_id, i.room_id, i.day, sum(date_diff('second', i.start_at, i.end_at)) / 60.0 as used_min
    from {{ ref('int_room_use_intervals') }} i
    where i.measure = 'used' and {{ clinic_day_due('day', 'i.clinic_id', 'i.day') }}
    group by all
),

days as (
    select
        clinic_id,
        room_id,
        room_type,
        day,
        weekday,
        -- sums of whole seconds: exact, whatever order the rows are added in
        sum(cast(round(staffed_min * 60) as bigint)) / 60.0 as staffed_min,
        sum(cast(round(occupied_min * 60) as bigint)) / 60.0 as occupied_min
    from hourly
    group by all
)

select
    d.clinic_id,
    d.room_id,
    d.room_type,
    d.day,
    d.weekday,
    d.staffed_min,
    d.occupied_min,
    round(100.0 * d.occupied_min / d.staffed_min, 2) as raw_utilization_pct,
    coalesce(u.used_min, 0) as used_min,
    round(100.0 * coalesce(u.used_min, 0) / d.staffed_min, 2) as adjusted_utilization_pct
from days d
left join day_use u on u.clinic_id = d.clinic_id and u.room_id = d.room_id and u.day = d.day
