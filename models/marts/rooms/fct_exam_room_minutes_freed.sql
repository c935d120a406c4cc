-- Exam-room minutes freed per encounter (definition in int_room_encounter_back_office): one row per encounter
-- with at least one back-office room occupancy. Incremental by local visit day, like fct_room_occupancy.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ clinic_day_lookback_delete('visit_date') }}",
) }}

with watermarks as (
    -- each clinic's last day already built (none on a full refresh): clinics export independently
    {{ clinic_day_watermarks('visit_date') }}
),

encounters as (
    select e.*
    from {{ ref('int_room_encounter_back_office') }} e
    left join watermarks w on w.clinic_id = e.clinic_id
    where e.visit_date > coalesce(w.built_through, date '1900-01-01')
)

select * from encounters
