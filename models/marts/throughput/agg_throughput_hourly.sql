-- Back-office throughput (issue 4): activities per clinic x local day x hour of day x activity type x code x
-- room x staff member (definitions in int_throughput_events). Sum over any of the keys for per-clinic,
-- per-room, per-staff, per-procedure-type, per-hour or per-weekday figures.
-- Incremental by local day, like the room marts.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ clinic_day_lookback_delete('day') }}",
) }}

with watermarks as (
    -- each clinic's last day already built (none on a full refresh): clinics export independently
    {{ clinic_day_watermarks('day') }}
),

events as (
    select e.*
    from {{ ref('int_throughput_events') }} e
    left join watermarks w on w.clinic_id = e.clinic_id
    where e.day > coalesce(w.built_through, date '1900-01-01')
)

select
    clinic_id,
    day,
    weekday,
    hour_of_day,
    activity_type,
    activity_code,
    room_id,
    staff_id,
    count(*) as activity_count
from events
group by all
