-- Back-office throughput (issue 4): activities per clinic x local day x hour of day x activity type x code x
-- room x staff member (definitions in int_throughput_events). Sum over any of the keys for per-clinic,
-- per-room, per-staff, per-procedure-type, per-hour or per-weekday figures.
-- Incremental by local day, like the room marts.
{{ room_day_config('day') }}

-- the partitions due: after each clinic's watermark, or stale (macro room_stale)
with events as (
    select e.*
    from {{ ref('int_throughput_events') }} e
    where {{ clinic_day_due('day', 'e.clinic_id', 'e.day') }}
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
