-- One row per between-patient cleaning (room_events cleaning_start, with its cleaning_end), paired to the
-- occupancy it follows. AORN end-of-procedure cleaning (domain-standards 3.3); AACD counts clean-up in case time.
-- Pairing, on UTC times, per room:
--   * start -> end: a cleaning_start is closed by the room's next cleaning event if that is a cleaning_end; a
--     start followed by another start (or nothing) has no end, and a cleaning_end not preceded by a start is
--     an orphan and dropped. Events are ordered by time, not by file order, so out-of-order exports pair
--     correctly; an end recorded before its start cannot be paired and leaves the cleaning without an end.
--   * cleaning -> occupancy: the occupancy whose patient left the room last before the cleaning started, if no
--     other patient came in in between and the cleaning started on the same local day as that patient left.
--     Otherwise procedure_id is NULL (a cleaning with no case to follow, e.g. while a patient is in the room).
-- Terminal (end-of-day) cleaning and out-of-service events are not per-occupancy and are not used here.
-- Incremental by cleaning_date (local day of the start) per clinic: a day needs only its own and later events
-- and the occupancies of that day and the day before.
{{ room_day_config('cleaning_date') }}

-- every event from the first partition due (macro clinic_day_due_from): a start's end may come on a later day
with events as (
    select e.clinic_id, e.room_id, e.event_id, e.event_type, e.occurred_at, e.occurred_at_local, e.staff_id
    from {{ ref('stg_backoffice__room_events') }} e
    where e.event_type in ('cleaning_start', 'cleaning_end')
      and cast(e.occurred_at_local as date) >= {{ clinic_day_due_from() }}
),

ordered as (
    select
        *,
        lead(event_type) over w as next_event_type,
        lead(occurred_at) over w as next_occurred_at,
        lead(occurred_at_local) over w as next_occurred_at_local
    from events
    window w as (
        partition by clinic_id, room_id
        order by occurred_at, (event_type = 'cleaning_end'), event_id
    )
),

cleanings as (
    select
        clinic_id,
        room_id,
        event_id as cleaning_event_id,
        staff_id as cleaned_by,
        cast(occurred_at_local as date) as cleaning_date,
        occurred_at as cleaning_start_at,
        occurred_at_local as cleaning_start_at_local,
        case when next_event_type = 'cleaning_end' then next_occurred_at end as cleaning_end_at,
        case when next_event_type = 'cleaning_end' then next_occurred_at_local end as cleaning_end_at_local
    from ordered
    where event_type = 'cleaning_start'
      and {{ clinic_day_due('cleaning_date', 'clinic_id', 'cast(occurred_at_local as date)') }}
),

occupancies as (
    -- from the day before the first partition due (an overnight patient leaving after midnight)
    select o.clinic_id, o.room_id, o.procedure_id, o.patient_in_at, o.patient_out_at, o.patient_out_at_local
    from {{ ref('int_room_occupancies') }} o
    where o.occupancy_date >= {{ clinic_day_due_from() }} - 1
),

-- One timeline per room: patients in, patients out and cleaning starts. At a tie a patient out comes first and
-- a patient in last, so a cleaning logged in the same second as either still follows the leaving patient.
timeline as (
    select clinic_id, room_id, patient_out_at as event_at, 0 as tie, 'out' as kind, procedure_id,
           cast(patient_out_at_local as date) as out_date, null as cleaning_event_id
    from occupancies where patient_out_at is not null
    union all
    select clinic_id, room_id, patient_in_at, 2, 'in', procedure_id, null, null
    from occupancies where patient_in_at is not null
    union all
    select clinic_id, room_id, cleaning_start_at, 1, 'cleaning', null, null, cleaning_event_id
    from cleanings
),

-- Each patient in or out opens a new group; a cleaning belongs to the group of the last one before it.
grouped as (
    select
        *,
        sum(case when kind = 'cleaning' then 0 else 1 end) over (
            partition by clinic_id, room_id order by event_at, tie, procedure_id, cleaning_event_id
            rows between unbounded preceding and current row
        ) as patient_event_number
    from timeline
),

preceded as (
    select
        *,
        max(case when kind <> 'cleaning' then kind end) over g as previous_kind,
        max(case when kind <> 'cleaning' then procedure_id end) over g as previous_procedure_id,
        max(case when kind <> 'cleaning' then out_date end) over g as previous_out_date
    from grouped
    window g as (partition by clinic_id, room_id, patient_event_number)
)

select
    cleanings.*,
    case when preceded.previous_kind = 'out'
              and preceded.previous_out_date = cleanings.cleaning_date
         then preceded.previous_procedure_id end as procedure_id,
    {{ minutes_between('cleanings.cleaning_start_at', 'cleanings.cleaning_end_at') }} as cleaning_min
from cleanings
join preceded
    on preceded.kind = 'cleaning'
    and preceded.clinic_id = cleanings.clinic_id
    and preceded.room_id = cleanings.room_id
    and preceded.cleaning_event_id = cleanings.cleaning_event_id
