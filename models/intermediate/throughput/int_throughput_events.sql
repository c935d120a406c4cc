-- One row per unit of back-office work done, for throughput counts (issue 4, Throughput):
--   procedure      a completed procedure (cancelled and aborted ones are not throughput), in its room, by its
--                  performer, at patient in (else procedure start, else the scheduled start);
--   in_house_test  a resulted (final or corrected) specimen x test performed in house, by its performer;
--   send_out_test  a resulted specimen x test sent to a reference lab, credited to the staff member who collected
--                  it (the clinic's share of the work);
-- tests are timed at specimen collection (the lab record's event time) and have no room.
-- Hour of day and weekday are the clinic's wall clock; rows with no usable time are left out.
with procedures as (
    select
        'procedure' as activity_type,
        clinic_id,
        procedure_id as activity_id,
        procedure_code as activity_code,
        room_id,
        performed_by as staff_id,
        patient_id,
        coalesce(patient_in_at_local, procedure_start_at_local, scheduled_start_at_local) as activity_at_local
    from {{ ref('stg_backoffice__procedures') }}
    where status = 'completed'
),

tests as (
    select
        case when performing_site = 'in_house' then 'in_house_test' else 'send_out_test' end as activity_type,
        clinic_id,
        specimen_id || ' ' || test_code as activity_id,
        test_code as activity_code,
        cast(null as varchar) as room_id,
        case when performing_site = 'in_house' then performed_by else collected_by end as staff_id,
        patient_id,
        collected_at_local as activity_at_local
    from {{ ref('stg_backoffice__lab_specimens') }}
    where status in ('final', 'corrected')
),

activities as (
    select * from procedures
    union all
    select * from tests
)

select
    *,
    cast(activity_at_local as date) as day,
    isodow(activity_at_local) as weekday,
    hour(activity_at_local) as hour_of_day
from activities
where activity_at_local is not null
