-- Disjoint UTC intervals during which a room was in use, cut at local midnight: one row per piece, for the
-- utilization marts (AACD, domain-standards 2.1):
--   measure 'occupied': a patient in the room (valid in-room timelines of procedure occupancies, and exam-room
--                   visits from the encounter record: exam room in -> out) - numerator of raw utilization;
--   measure 'used': occupied, or turning over between consecutive cases, or being cleaned after a case (paired
--                   cleaning events) - numerator of adjusted utilization, which credits clean-up and turnover.
-- Each interval is cut into one piece per local day it touches (day bounds in UTC from int_room_calendar_hours,
-- so DST days have their 23 or 25 hours); within a room-day, overlapping pieces (two overlapping cases, a
-- cleaning inside a turnover) are merged so no minute counts twice: pieces are taken in start order and each
-- keeps only its part after everything before it ended. Minutes of different days never overlap, so merging per
-- day is exact. Days outside the calendar (before the first or after the last day with a case) are dropped.
-- Incremental by day per clinic: a day needs the intervals that start on it or on the day before.
{{ room_day_config('day') }}

-- sources from the day before the first partition due on (intervals running past midnight; macro
-- clinic_day_due_from); the days due are chosen in day_bounds
with occupancies as (
    select o.*
    from {{ ref('int_room_occupancies') }} o
    where o.occupancy_date >= {{ clinic_day_due_from() }} - 1
),

cleanings as (
    select c.*
    from {{ ref('int_room_cleanings') }} c
    where c.procedure_id is not null and c.cleaning_end_at > c.cleaning_start_at
      and c.cleaning_date >= {{ clinic_day_due_from() }} - 1
),

exam_stays as (
    select e.clinic_id, e.exam_room_id as room_id, e.exam_room_in_at as start_at, e.exam_room_out_at as end_at,
           e.exam_room_in_at_local as start_at_local, e.exam_room_out_at_local as end_at_local
    from {{ ref('stg_backoffice__encounters') }} e
    where e.exam_room_id is not null and e.exam_room_out_at > e.exam_room_in_at
      and cast(e.exam_room_in_at_local as date) >= {{ clinic_day_due_from() }} - 1
),

in_room as (
    select clinic_id, room_id, patient_in_at as start_at, patient_out_at as end_at,
           patient_in_at_local as start_at_local, patient_out_at_local as end_at_local
    from occupancies
    where not has_timeline_error
    union all
    select * from exam_stays
),

intervals as (
    select 'occupied' as measure, * from in_room
    union all
    select 'used', * from in_room
    union all
    select 'used', clinic_id, room_id, patient_out_at, next_patient_in_at, patient_out_at_local,
           next_patient_in_at_local
    from occupancies
    where turnover_to_next_min > 0
    union all
    select 'used', clinic_id, room_id, cleaning_start_at, cleaning_end_at, cleaning_start_at_local,
           cleaning_end_at_local
    from cleanings
),

day_bounds as (
    -- the partitions due
    select
        c.clinic_id,
        c.day,
        min(c.mark_at) filter (where c.mark_hour = 0) as day_start_at,
        min(c.mark_at) filter (where c.mark_hour = 24) as day_end_at
    from {{ ref('int_room_calendar_hours') }} c
    where {{ clinic_day_due('day', 'c.clinic_id', 'c.day') }}
    group by c.clinic_id, c.day
),

days_touched as (
    select
        *,
        cast(unnest(generate_series(cast(start_at_local as date), cast(end_at_local as date), interval 1 day))
            as date) as day
    from intervals
),

pieces as (
    select
        t.measure,
        t.clinic_id,
        t.room_id,
        t.day,
        greatest(t.start_at, b.day_start_at) as start_at,
        least(t.end_at, b.day_end_at) as end_at
    from days_touched t
    join day_bounds b on b.clinic_id = t.clinic_id and b.day = t.day
    where least(t.end_at, b.day_end_at) > greatest(t.start_at, b.day_start_at)
),

merged as (
    select
        measure,
        clinic_id,
        room_id,
        day,
        greatest(start_at, coalesce(max(end_at) over (
            partition by measure, clinic_id, room_id, day order by start_at, end_at
            rows between unbounded preceding and 1 preceding
        ), start_at)) as start_at,
        end_at
    from pieces
)

select * from merged
where end_at > start_at
