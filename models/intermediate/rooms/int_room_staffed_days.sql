-- Staffed (open) hours per room per calendar day, from the room schedule: a room's own row for the weekday
-- wins over the clinic-wide `*` row. These are the "resource hours" utilization is measured against (AACD).
with schedule as (
    select * from {{ ref('stg_backoffice__room_schedule') }}
),

rooms as (
    select * from {{ ref('stg_backoffice__rooms') }}
),

activity_span as (
    -- The calendar runs over the days the clinic has procedure records for.
    select clinic_id, min(cast(patient_in_at_local as date)) as first_day,
           max(cast(patient_in_at_local as date)) as last_day
    from {{ ref('stg_backoffice__procedures') }}
    group by clinic_id
),

calendar as (
    select clinic_id, cast(d.day as date) as day
    from activity_span, lateral (select unnest(generate_series(first_day, last_day, interval 1 day)) as day) d
),

candidates as (
    select
        rooms.clinic_id,
        rooms.room_id,
        rooms.room_type,
        calendar.day,
        schedule.opens_at,
        schedule.closes_at,
        row_number() over (
            partition by rooms.clinic_id, rooms.room_id, calendar.day
            order by (schedule.room_id = '*'), schedule.valid_from desc nulls last
        ) as preference
    from rooms
    join calendar on calendar.clinic_id = rooms.clinic_id
    join schedule
        on schedule.clinic_id = rooms.clinic_id
        and schedule.room_id in (rooms.room_id, '*')
        and schedule.weekday = isodow(calendar.day)
        and calendar.day between coalesce(schedule.valid_from, date '1900-01-01')
                             and coalesce(schedule.valid_to, date '2999-12-31')
    where calendar.day between coalesce(rooms.active_from, date '1900-01-01')
                           and coalesce(rooms.active_to, date '2999-12-31')
)

select
    clinic_id,
    room_id,
    room_type,
    day,
    day + opens_at as opens_at_local,
    day + closes_at as closes_at_local,
    date_diff('minute', day + opens_at, day + closes_at) as staffed_min
from candidates
where preference = 1 and closes_at > opens_at
