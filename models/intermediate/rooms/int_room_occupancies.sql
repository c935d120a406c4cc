-- One row per room occupancy: a completed or aborted procedure with at least one recorded time, after the AACD
-- Procedural Times Glossary (domain-standards 2.1). Intervals are computed on UTC times (right across DST):
--   in room    = patient in -> patient out           (AACD "start time" = patient in room)
--   procedure  = procedure start -> procedure end
--   turnover   = this patient out -> next patient in, same room and same local day, consecutive cases only.
-- Consecutive: the next occupancy of the room that day (every occupancy with a recorded time is in the sequence,
-- so a case with a broken timeline interrupts it rather than being bridged over), both cases with a valid
-- in-room timeline, the next patient not in before this one is out (overlap = data error, flagged), and a gap
-- of at most `turnover_max_minutes` (a longer gap is the room standing idle between bookings, e.g. lunch -
-- a proxy for AACD's "sequentially scheduled cases only"). Missing times give NULL intervals; impossible ones
-- (out not after in, procedure outside the stay) keep their value and are flagged and left out of statistics, as
-- are stays with a local time the DST change skips or repeats (ingest flags nonexistent / ambiguous_local_time).
-- Incremental by occupancy_date per clinic (every window is per room and day: a day needs only its own rows).
{{ room_day_config('occupancy_date') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with procedures as (
    select p.*
    from {{ ref('stg_backoffice__procedures') }} p
    where p.status in ('completed', 'aborted')
      and {{ clinic_day_due('occupancy_date', 'p.clinic_id',
                            'cast(coalesce(p.patient_in_at_local, p.procedure_start_at_local, '
                            ~ 'p.procedure_end_at_local, p.patient_out_at_local) as date)') }}
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
        scheduled_start_at,
        scheduled_start_at_local,
        patient_in_at,
        patient_in_at_local,
        procedure_start_at,
        procedure_start_at_local,
        procedure_end_at,
        procedure_end_at_local,
        patient_out_at,
        patient_out_at_local,
        coalesce(patient_in_at, procedure_start_at, procedure_end_at, patient_out_at) as sequence_at,
        cast(coalesce(patient_in_at_local, procedure_start_at_local, procedure_end_at_local, patient_out_at_local)
            as date) as occupancy_date,
        {{ minutes_between('patient_in_at', 'patient_out_at') }} as in_room_min,
        {{ minutes_between('procedure_start_at', 'procedure_end_at') }} as procedure_min,
        -- A local time the DST change skips or repeats was guessed at ingest (flag): its interval is no fact.
        (patient_in_at is null or patient_out_at is null or patient_out_at <= patient_in_at
         or coalesce(list_has_any(data_flags, ['nonexistent_local_time', 'ambiguous_local_time']), false))
            as has_timeline_error,
        coalesce(
            procedure_end_at <= procedure_start_at
            or procedure_start_at < patient_in_at
            or procedure_end_at > patient_out_at,
            false
        ) as has_procedure_timeline_error,
        data_flags
    from procedures
    where coalesce(patient_in_at, procedure_start_at, procedure_end_at, patient_out_at) is not null
),

sequenced as (
    select
        *,
        row_number() over day_order as case_number_of_day,
        count(*) over day_part as cases_in_day,
        lead(procedure_id) over day_order as next_procedure_id,
        lead(patient_in_at) over day_order as next_patient_in_at,
        lead(patient_in_at_local) over day_order as next_patient_in_at_local,
        lead(has_timeline_error) over day_order as next_has_timeline_error
    from occupancies
    window
        day_part as (partition by clinic_id, room_id, occupancy_date),
        day_order as (day_part order by sequence_at, procedure_id)
),

gaps as (
    select
        *,
        case when not has_timeline_error and not next_has_timeline_error
            then {{ minutes_between('patient_out_at', 'next_patient_in_at') }}
        end as gap_to_next_min
    from sequenced
)

select
    * exclude (next_has_timeline_error),
    case_number_of_day = 1 as is_first_case_of_day,
    case_number_of_day = cases_in_day as is_last_case_of_day,
    coalesce(gap_to_next_min < 0, false) as overlaps_next_case,
    case when gap_to_next_min between 0 and {{ var('turnover_max_minutes') }} then gap_to_next_min end
        as turnover_to_next_min
from gaps
