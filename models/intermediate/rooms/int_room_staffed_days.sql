-- Staffed (open) hours per room per local calendar day, from the room schedule: a room's own row for the weekday
-- wins over the clinic-wide `*` row, and a later valid_from wins over an earlier one. These are the "resource
-- hours" utilization is measured against (AACD, domain-standards 2.1).
-- Opening and closing are wall-clock times; they are placed in UTC through the clinic's clock-hour marks
-- (int_room_calendar_hours): the staffed window starts and ends at the first instant the wall clock reads those
-- times, so a window across a DST change lasts its real length (01:00-04:00 is 120 minutes on 2026-03-29 and
-- 240 on 2026-10-25 in Europe/Berlin). A closing time of 00:00 means midnight at the end of the day.
with schedule as (
    select * from {{ ref('stg_backoffice__room_schedule') }}
),

rooms as (
    select * from {{ ref('stg_backoffice__rooms') }}
),

marks as (
    select clinic_id, day, list(mark_at order by mark_hour) as mark_ats
    from {{ ref('int_room_calendar_hours') }}
    group by clinic_id, day
),

candidates as (
    select
        rooms.clinic_id,
        rooms.room_id,
        rooms.room_type,
        marks.day,
        marks.mark_ats,
        schedule.opens_at,
        schedule.closes_at,
        row_number() over (
            partition by rooms.clinic_id, rooms.room_id, marks.day
            order by (schedule.room_id = '*'), schedule.valid_from desc nulls last
        ) as preference
    from rooms
    join marks on marks.clinic_id = rooms.clinic_id
    join schedule
        on schedule.clinic_id = rooms.clinic_id
        and schedule.room_id in (rooms.room_id, '*')
        and schedule.weekday = isodow(marks.day)
        and marks.day between coalesce(schedule.valid_from, date '1900-01-01')
                          and coalesce(schedule.valid_to, date '2999-12-31')
    where marks.day between coalesce(rooms.active_from, date '1900-01-01')
                        and coalesce(rooms.active_to, date '2999-12-31')
),

chosen as (
    select
        *,
        hour(opens_at) as opens_hour,
        to_seconds(minute(opens_at) * 60 + second(opens_at)) as opens_offset,
        case when closes_at = time '00:00' then 24 else hour(closes_at) end as closes_hour,
        to_seconds(minute(closes_at) * 60 + second(closes_at)) as closes_offset
    from candidates
    where preference = 1 and (closes_at > opens_at or closes_at = time '00:00')
),

placed as (
    select
        clinic_id,
        room_id,
        room_type,
        day,
        day + opens_at as opens_at_local,
        case when closes_hour = 24 then day + interval 1 day else day + closes_at end as closes_at_local,
        -- mark_ats[h + 1] is the UTC instant of clock hour h (lists are 1-based); inside a skipped hour the
        -- time collapses onto the next existing instant.
        least(mark_ats[opens_hour + 1] + opens_offset, mark_ats[opens_hour + 2]) as opens_at,
        case when closes_hour = 24 then mark_ats[25]
             else least(mark_ats[closes_hour + 1] + closes_offset, mark_ats[closes_hour + 2]) end as closes_at
    from chosen
)

select
    *,
    {{ minutes_between('opens_at', 'closes_at') }} as staffed_min
from placed
