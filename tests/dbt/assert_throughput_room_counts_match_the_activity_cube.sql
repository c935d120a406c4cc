-- Completed procedures per room and day are counted the same way in agg_throughput_room_daily and in the
-- activity cube agg_throughput_hourly (procedure rows). Rows returned are violations.
with cube as (
    select clinic_id, room_id, day, sum(activity_count) as procedures
    from {{ ref('agg_throughput_hourly') }}
    where activity_type = 'procedure'
    group by all
),

rooms as (
    select clinic_id, room_id, day, procedures
    from {{ ref('agg_throughput_room_daily') }}
    where procedures > 0
)

select coalesce(c.clinic_id, r.clinic_id) as clinic_id, coalesce(c.room_id, r.room_id) as room_id,
       coalesce(c.day, r.day) as day, c.procedures as cube_procedures, r.procedures as room_procedures
from cube c
full join rooms r on r.clinic_id = c.clinic_id and r.room_id = c.room_id and r.day = c.day
where coalesce(c.procedures, -1) <> coalesce(r.procedures, -2)
