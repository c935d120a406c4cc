-- Room utilization per room x day x hour slot (local time). Raw utilization (AACD, domain-standards 2.1) =
-- minutes with a patient in the room inside staffed hours / staffed minutes.
with staffed as (
    select * from {{ ref('int_room_staffed_days') }}
),

slots as (
    select
        staffed.*,
        h.slot_hour,
        staffed.day + to_hours(h.slot_hour) as slot_start,
        staffed.day + to_hours(h.slot_hour + 1) as slot_end
    from staffed, lateral (select unnest(range(0, 24)) as slot_hour) h
),

staffed_slots as (
    select
        *,
        greatest(0, date_diff('second', greatest(slot_start, opens_at_local), least(slot_end, closes_at_local)))
            / 60.0 as staffed_min_in_slot
    from slots
),

occupancies as (
    select clinic_id, room_id, occupancy_date, patient_in_at_local, patient_out_at_local
    from {{ ref('int_room_occupancies') }}
    where not has_timeline_error
),

occupied as (
    select
        s.clinic_id, s.room_id, s.day, s.slot_hour,
        sum(greatest(0, date_diff('second',
            greatest(o.patient_in_at_local, s.slot_start, s.opens_at_local),
            least(o.patient_out_at_local, s.slot_end, s.closes_at_local)))) / 60.0 as occupied_min
    from staffed_slots s
    join occupancies o
        on o.clinic_id = s.clinic_id and o.room_id = s.room_id
        and o.patient_in_at_local < s.slot_end and o.patient_out_at_local > s.slot_start
    where s.staffed_min_in_slot > 0
    group by all
)

select
    s.clinic_id,
    s.room_id,
    s.room_type,
    s.day,
    isodow(s.day) as weekday,
    s.slot_hour,
    s.staffed_min_in_slot as staffed_min,
    coalesce(o.occupied_min, 0) as occupied_min,
    round(100.0 * coalesce(o.occupied_min, 0) / s.staffed_min_in_slot, 2) as raw_utilization_pct
from staffed_slots s
left join occupied o using (clinic_id, room_id, day, slot_hour)
where s.staffed_min_in_slot > 0
