-- Raw utilization (AACD, domain-standards 2.1) counts patient-in-room minutes inside staffed time only, so no
-- slot or day can be occupied longer than it is staffed, and the adjusted figure (which adds turnover and
-- cleaning) is never below the raw one. Rows returned are violations.
select 'hourly' as grain, clinic_id, room_id, day, slot_hour, staffed_min, occupied_min, used_min
from {{ ref('agg_room_utilization_hourly') }}
where staffed_min <= 0
   or occupied_min > staffed_min + 1e-9
   or raw_utilization_pct > 100
   or used_min < occupied_min - 1e-9
union all
select 'daily', clinic_id, room_id, day, null, staffed_min, occupied_min, used_min
from {{ ref('agg_room_utilization_daily') }}
where staffed_min <= 0
   or occupied_min > staffed_min + 1e-9
   or raw_utilization_pct > 100
   or used_min < occupied_min - 1e-9
