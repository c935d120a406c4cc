-- The daily room marts add up their hour slots: staffed and occupied minutes of agg_room_utilization_daily and
-- staffed minutes and procedures of agg_throughput_room_daily equal the sums of their hourly marts, and both
-- families agree on the staffed minutes of every room-day. Rows returned are violations. With
-- var data_test_recent_days (a production incremental run), the last days only (macro recent_days).
with util_slots as (
    select clinic_id, room_id, day, sum(staffed_min) as staffed_min, sum(occupied_min) as occupied_min
    from {{ recent_days(ref('agg_room_utilization_hourly')) }}
    group by all
),

throughput_slots as (
    select clinic_id, room_id, day, sum(staffed_min) as staffed_min, sum(procedures) as procedures
    from {{ recent_days(ref('agg_throughput_room_hourly')) }}
    group by all
)

select d.clinic_id, d.room_id, d.day, 'utilization daily vs slots' as check_name
from {{ recent_days(ref('agg_room_utilization_daily')) }} d
full join util_slots s on s.clinic_id = d.clinic_id and s.room_id = d.room_id and s.day = d.day
where abs(coalesce(d.staffed_min, -1) - coalesce(s.staffed_min, -2)) > 1e-9
   or abs(coalesce(d.occupied_min, -1) - coalesce(s.occupied_min, -2)) > 1e-9
union all
select t.clinic_id, t.room_id, t.day, 'throughput daily vs slots'
from {{ recent_days(ref('agg_throughput_room_daily')) }} t
full join throughput_slots s on s.clinic_id = t.clinic_id and s.room_id = t.room_id and s.day = t.day
where abs(coalesce(t.staffed_min, -1) - coalesce(s.staffed_min, -2)) > 1e-9
   or coalesce(t.procedures, -1) <> coalesce(s.procedures, -2)
union all
select t.clinic_id, t.room_id, t.day, 'staffed minutes differ between utilization and throughput'
from {{ recent_days(ref('agg_throughput_room_daily')) }} t
left join {{ recent_days(ref('agg_room_utilization_daily')) }} u
    on u.clinic_id = t.clinic_id and u.room_id = t.room_id and u.day = t.day
where t.staffed_min > 0 and abs(t.staffed_min - coalesce(u.staffed_min, -1)) > 1e-9
