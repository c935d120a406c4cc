-- One row per room occupancy (AACD Procedural Times Glossary, domain-standards 2.1): in-room, procedure and
-- cleaning minutes, the turnover to the next consecutive case, prolonged turnovers, first case on time.
-- Incremental by local day, per clinic (clinics export independently): a run deletes each clinic's last
-- `room_throughput_lookback_days` days and rebuilds that clinic from there, so a clinic whose export lags or a
-- newly added clinic is built in full; older days that rows ingested since the previous run change, on their new
-- day or the old day of a record a corrected re-export moved, are rebuilt with the baseline days after them (macro
-- room_stale). A prolonged turnover is judged against the room's mean turnover over the
-- `prolonged_turnover_baseline_days` days ending with the case's day, so a day's rows never depend on later data.
{{ room_day_config('occupancy_date', var('prolonged_turnover_baseline_days') - 1) }}
{%- set baseline_days = var('prolonged_turnover_baseline_days') %}

-- the partitions due (after each clinic's watermark, or stale: macro room_stale, which adds the baseline_days - 1
-- days after a changed one), and the baseline window before them
with occupancies as (
    select o.*, {{ clinic_day_due('occupancy_date', 'o.clinic_id', 'o.occupancy_date') }} as is_rebuilt
    from {{ ref('int_room_occupancies') }} o
    where o.occupancy_date >= {{ clinic_day_due_from() }} - {{ baseline_days }}
),

rooms as (
    select clinic_id, room_id, name as room_name, room_type from {{ ref('stg_backoffice__rooms') }}
),

-- The case's cleaning: the first one with an end, else the first one (a duplicate start is not a second clean).
first_cleanings as (
    select c.*
    from {{ ref('int_room_cleanings') }} c
    where c.procedure_id is not null
      and c.cleaning_date >= {{ clinic_day_due_from() }} - {{ baseline_days }}
    qualify row_number() over (
        partition by c.clinic_id, c.room_id, c.procedure_id
        order by c.cleaning_end_at is null, c.cleaning_start_at, c.cleaning_event_id
    ) = 1
),

room_day_turnovers as (
    select clinic_id, room_id, occupancy_date,
           -- whole seconds: exact sums, whatever order the rows are added in
           sum(cast(round(turnover_to_next_min * 60) as bigint)) as turnover_seconds,
           count(turnover_to_next_min) as turnovers
    from occupancies
    group by all
),

baselines as (
    select
        clinic_id,
        room_id,
        occupancy_date,
        sum(turnover_seconds) over w / nullif(sum(turnovers) over w, 0) / 60.0 as baseline_mean_turnover_min
    from room_day_turnovers
    window w as (
        partition by clinic_id, room_id order by occupancy_date
        range between interval {{ baseline_days - 1 }} day preceding and current row
    )
)

select
    o.clinic_id,
    o.room_id,
    coalesce(rooms.room_name, o.room_id) as room_name,
    rooms.room_type,
    o.procedure_id,
    o.procedure_code,
    o.encounter_id,
    o.performed_by,
    o.supervised_by,
    o.status,
    o.occupancy_date,
    isodow(o.occupancy_date) as weekday,
    o.scheduled_start_at_local,
    o.patient_in_at_local,
    o.procedure_start_at_local,
    o.procedure_end_at_local,
    o.patient_out_at_local,
    c.cleaning_start_at_local,
    c.cleaning_end_at_local,
    o.in_room_min,
    o.procedure_min,
    c.cleaning_min,
    o.case_number_of_day,
    o.cases_in_day,
    o.is_first_case_of_day,
    o.is_last_case_of_day,
    o.next_procedure_id,
    o.gap_to_next_min,
    o.turnover_to_next_min,
    b.baseline_mean_turnover_min,
    o.turnover_to_next_min > b.baseline_mean_turnover_min + {{ var('prolonged_turnover_excess_minutes') }}
        as is_prolonged_turnover,
    case when o.is_first_case_of_day
        then {{ minutes_between('o.scheduled_start_at', 'o.patient_in_at') }} end as first_case_delay_min,
    case when o.is_first_case_of_day
        then o.patient_in_at <= o.scheduled_start_at + to_minutes({{ var('first_case_grace_minutes') }})
    end as is_first_case_on_time,
    o.has_timeline_error,
    o.has_procedure_timeline_error,
    o.overlaps_next_case,
    c.cleaning_start_at is not null and c.cleaning_end_at is null as has_unpaired_cleaning,
    coalesce(c.cleaning_end_at > o.next_patient_in_at, false) as cleaning_overlaps_next_case
from occupancies o
left join rooms on rooms.clinic_id = o.clinic_id and rooms.room_id = o.room_id
left join first_cleanings c
    on c.clinic_id = o.clinic_id and c.room_id = o.room_id and c.procedure_id = o.procedure_id
left join baselines b
    on b.clinic_id = o.clinic_id and b.room_id = o.room_id and b.occupancy_date = o.occupancy_date
where o.is_rebuilt
