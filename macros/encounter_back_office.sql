{#- The body of int_room_encounter_back_office (see there), on the encounters that pass `encounter_where` (an expression
    on the rows of stg_backoffice__encounters): fct_exam_room_minutes_freed computes only the visit days an
    incremental run rebuilds. A filter on the finished rows is applied only after the join with every occupancy of
    the history (DuckDB does not push it through the aggregate and the join). -#}
{% macro encounter_back_office(encounter_where='true') -%}
with occupancies as (
    select * from {{ ref('int_room_occupancies') }}
    where encounter_id is not null
),

rooms as (
    select clinic_id, room_id, room_type from {{ ref('stg_backoffice__rooms') }}
),

back_office as (
    select occupancies.*
    from occupancies
    left join rooms on rooms.clinic_id = occupancies.clinic_id and rooms.room_id = occupancies.room_id
    where rooms.room_type is distinct from 'exam'
),

encounters as (
    select
        *,
        exam_room_out_at is not null and coalesce(exam_room_out_at > exam_room_in_at, true) as has_exam_room_departure
    from {{ ref('stg_backoffice__encounters') }}
    where {{ encounter_where }}
),

joined as (
    select
        encounters.clinic_id,
        encounters.encounter_id,
        encounters.arrived_at_local,
        encounters.exam_room_id,
        encounters.exam_room_in_at,
        encounters.exam_room_in_at_local,
        encounters.exam_room_out_at,
        encounters.exam_room_out_at_local,
        encounters.departed_at_local,
        encounters.has_exam_room_departure,
        back_office.procedure_id,
        back_office.has_timeline_error,
        back_office.in_room_min,
        case when not back_office.has_timeline_error and encounters.has_exam_room_departure then greatest(0,
            {{ minutes_between('greatest(back_office.patient_in_at, encounters.exam_room_out_at)',
                               'back_office.patient_out_at') }}) end as freed_min,
        case when not back_office.has_timeline_error and encounters.exam_room_in_at is not null then greatest(0,
            {{ minutes_between('back_office.patient_in_at',
                               'least(back_office.patient_out_at, encounters.exam_room_in_at)') }}) end
            as before_exam_min,
        case when not back_office.has_timeline_error and encounters.has_exam_room_departure
                  and encounters.exam_room_in_at is not null then greatest(0,
            {{ minutes_between('greatest(back_office.patient_in_at, encounters.exam_room_in_at)',
                               'least(back_office.patient_out_at, encounters.exam_room_out_at)') }}) end
            as overlap_exam_min
    from encounters
    join back_office
        on back_office.clinic_id = encounters.clinic_id
        and back_office.encounter_id = encounters.encounter_id
)

select
    clinic_id,
    encounter_id,
    cast(arrived_at_local as date) as visit_date,
    any_value(exam_room_id) as exam_room_id,
    any_value(exam_room_in_at_local) as exam_room_in_at_local,
    any_value(exam_room_out_at_local) as exam_room_out_at_local,
    any_value(departed_at_local) as departed_at_local,
    count(*) as back_office_occupancies,
    -- sums of whole seconds, divided once: exact, whatever order the rows are added in
    sum(cast(round(in_room_min * 60) as bigint)) filter (where not has_timeline_error) / 60.0
        as back_office_in_room_min,
    sum(cast(round(before_exam_min * 60) as bigint)) / 60.0 as in_room_before_exam_min,
    sum(cast(round(freed_min * 60) as bigint)) / 60.0 as exam_room_freed_min,
    coalesce(sum(overlap_exam_min), 0) > 0 as overlaps_exam_room_stay,
    bool_or(has_timeline_error) as has_timeline_error
from joined
group by clinic_id, encounter_id, cast(arrived_at_local as date)
{%- endmacro %}
