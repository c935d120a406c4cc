-- Exam-room minutes freed per encounter (definition in int_room_encounter_back_office): one row per encounter
-- with at least one back-office room occupancy. Incremental by local visit day, like fct_room_occupancy.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where visit_date >= (select max(w.visit_date) - "
             ~ var('room_throughput_lookback_days')
             ~ " from {{ this }} w where w.clinic_id = {{ this }}.clinic_id){% endif %}",
) }}

with watermarks as (
    -- each clinic's last day already built (none on a full refresh): clinics export independently
    {% if is_incremental() -%}
    select clinic_id, max(visit_date) as built_through from {{ this }} group by clinic_id
    {%- else -%}
    select cast(null as varchar) as clinic_id, cast(null as date) as built_through where false
    {%- endif %}
),

encounters as (
    select e.*
    from {{ ref('int_room_encounter_back_office') }} e
    left join watermarks w on w.clinic_id = e.clinic_id
    where e.visit_date > coalesce(w.built_through, date '1900-01-01')
)

select * from encounters
