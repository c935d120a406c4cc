-- Room utilization per room x day: staffed minutes, occupied minutes within them, raw utilization in percent.
select
    clinic_id,
    room_id,
    room_type,
    day,
    weekday,
    sum(staffed_min) as staffed_min,
    sum(occupied_min) as occupied_min,
    round(100.0 * sum(occupied_min) / sum(staffed_min), 2) as raw_utilization_pct
from {{ ref('agg_room_utilization_hourly') }}
group by all
