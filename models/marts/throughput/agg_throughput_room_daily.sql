-- Procedures per staffed hour per room x local day (issue 4, Throughput): the day's slots from
-- agg_throughput_room_hourly summed, plus distinct performers and patients (int_throughput_events).
-- Incremental by local day, like the room marts.
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with hourly as (
    select h.*
    from {{ ref('agg_throughput_room_hourly') }} h
    where {{ clinic_day_due('day', 'h.clinic_id', 'h.day') }}
),

people as (
    select
        e.clinic_id,
        e.room_id,
        e.day,
        count(distinct e.staff_id) as performers,
        count(distinct e.patient_id) as patients
    from {{ ref('int_throughput_events') }} e
    where e.activity_type = 'procedure' and {{ clinic_day_due('day', 'e.clinic_id', 'e.day') }}
    group by all
),

days as (
    select
        clinic_id,
        room_id,
        room_type,
        day,
        weekday,
        sum(cast(round(staffed_min * 60) as bigint)) / 60.0 as staffed_min,  -- exact: whole seconds
        cast(sum(procedures) as bigint) as procedures,
        cast(sum(procedures) filter (where staffed_min = 0) as bigint) as procedures_outside_staffed_hours
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
    d.staffed_min / 60.0 as staffed_hours,
    d.procedures,
    coalesce(d.procedures_outside_staffed_hours, 0) as procedures_outside_staffed_hours,
    case when d.staffed_min > 0 then round(d.procedures / (d.staffed_min / 60.0), 3) end
        as procedures_per_staffed_hour,
    coalesce(p.performers, 0) as performers,
    coalesce(p.patients, 0) as patients
from days d
left join people p on p.clinic_id = d.clinic_id and p.room_id = d.room_id and p.day = d.day
