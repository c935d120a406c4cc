{#- The body of int_sterility_room_days (see there), on the room-days from `since` (a date expression) on:
    fct_sterility_checks computes only the days an incremental run rebuilds. Exact for those days: a room-day's next
    use is on a later day, which the bound keeps; a filter on the finished rows would come only after the window over
    every room-day of the history (DuckDB pushes no filter through it). -#}
{% macro sterility_room_days(since="date '-infinity'") -%}
with uses as (
    select clinic_id, room_id, patient_in_at as use_start_at, coalesce(patient_out_at, patient_in_at) as use_end_at,
           cast(patient_in_at_local as date) as use_date
    from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted') and patient_in_at is not null

    union all
    select clinic_id, exam_room_id, exam_room_in_at, coalesce(exam_room_out_at, exam_room_in_at),
           cast(exam_room_in_at_local as date)
    from {{ ref('stg_backoffice__encounters') }}
    where exam_room_id is not null and exam_room_in_at is not null

    union all
    select s.clinic_id, r.room_id, s.resulted_at, s.resulted_at, cast(s.collected_at_local as date)
    from {{ ref('stg_backoffice__lab_specimens') }} s
    join {{ ref('stg_backoffice__rooms') }} r
        on r.clinic_id = s.clinic_id and r.room_type = 'lab'
       and (r.active_from is null or r.active_from <= cast(s.collected_at_local as date))
       and (r.active_to is null or r.active_to >= cast(s.collected_at_local as date))
    where s.performing_site = 'in_house' and s.resulted_at is not null
),

room_days as (
    select clinic_id, room_id, use_date, count(*) as uses, max(use_end_at) as last_use_ended_at,
           min(use_start_at) as first_use_started_at
    from uses
    where use_date >= {{ since }}
    group by all
),

with_next as (
    -- The earliest use start on any later day of the room (a window, not a correlated subquery: a lab room's use
    -- starts at its result time, so a later day's earliest start is not always the next day's).
    select
        clinic_id, room_id, use_date, uses, last_use_ended_at,
        min(first_use_started_at) over (partition by clinic_id, room_id order by use_date
                                        rows between 1 following and unbounded following) as next_use_at
    from room_days
),

terminal as (
    select clinic_id, room_id, occurred_at, occurred_at_local
    from {{ ref('stg_backoffice__room_events') }}
    where event_type in ('terminal_clean_start', 'terminal_clean_end')
)

select
    d.clinic_id,
    d.room_id,
    d.use_date,
    d.uses,
    d.last_use_ended_at,
    d.next_use_at,
    count(t.occurred_at) as terminal_clean_events,
    min(t.occurred_at_local) as terminal_clean_at_local,
    count(t.occurred_at) > 0 as is_compliant
from with_next d
left join terminal t
    on t.clinic_id = d.clinic_id
   and t.room_id = d.room_id
   and t.occurred_at >= d.last_use_ended_at
   and t.occurred_at_local < d.use_date + interval 1 day + to_hours({{ var('terminal_clean_grace_hours') }})
   and (d.next_use_at is null or t.occurred_at <= d.next_use_at)
group by all
{%- endmacro %}
