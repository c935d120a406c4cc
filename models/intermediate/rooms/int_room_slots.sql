-- One row per room x local day x local clock-hour slot that has staffed time: the slot runs from the instant the
-- clinic's wall clock first reads h:00 to the instant it first reads (h+1):00 (UTC bounds from
-- int_room_calendar_hours), and its staffed minutes are its overlap with the room's staffed window. On the
-- spring-forward day the 02:00 slot has no time and no row; on the fall-back day it lasts up to 120 minutes.
-- Incremental by day per clinic (a table, so the marts read only the days they rebuild).
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with staffed as (
    select s.*
    from {{ ref('int_room_staffed_days') }} s
    where {{ clinic_day_due('day', 's.clinic_id', 's.day') }}
),

marks as (
    select c.clinic_id, c.day, list(c.mark_at order by c.mark_hour) as mark_ats
    from {{ ref('int_room_calendar_hours') }} c
    where {{ clinic_day_due('day', 'c.clinic_id', 'c.day') }}
    group by c.clinic_id, c.day
),

slots as (
    select
        staffed.clinic_id,
        staffed.room_id,
        staffed.room_type,
        staffed.day,
        h.slot_hour,
        marks.mark_ats[h.slot_hour + 1] as slot_start_at,
        marks.mark_ats[h.slot_hour + 2] as slot_end_at,
        staffed.opens_at,
        staffed.closes_at
    from staffed
    join marks on marks.clinic_id = staffed.clinic_id and marks.day = staffed.day
    cross join (select unnest(range(0, 24)) as slot_hour) h
)

select
    clinic_id,
    room_id,
    room_type,
    day,
    slot_hour,
    slot_start_at,
    slot_end_at,
    greatest(slot_start_at, opens_at) as staffed_start_at,
    least(slot_end_at, closes_at) as staffed_end_at,
    {{ minutes_between('greatest(slot_start_at, opens_at)', 'least(slot_end_at, closes_at)') }} as staffed_min
from slots
where least(slot_end_at, closes_at) > greatest(slot_start_at, opens_at)
