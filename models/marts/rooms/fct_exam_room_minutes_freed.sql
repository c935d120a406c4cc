-- Exam-room minutes freed per encounter (definition in int_room_encounter_back_office): one row per encounter
-- with at least one back-office room occupancy. Incremental by local visit day, like fct_room_occupancy.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ clinic_day_lookback_delete('visit_date') }}",
) }}

-- depends_on: {{ ref('int_room_encounter_back_office') }}
-- The rows of int_room_encounter_back_office (macro encounter_back_office) for the visit days after each clinic's
-- last day already built (all days of a clinic without one, and on a full refresh): clinics export independently.
-- The watermarks are one MAP (macro clinic_day_watermark_map), so that the filter applies to the encounters before
-- the join.

select * from ({{ encounter_back_office(
    "cast(arrived_at_local as date) > coalesce(" ~ clinic_day_watermark_map('visit_date')
    ~ "[clinic_id], date '-infinity')") }})
