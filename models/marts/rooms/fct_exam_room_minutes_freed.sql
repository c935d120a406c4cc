-- Exam-room minutes freed per encounter (definition in int_room_encounter_back_office): one row per encounter
-- with at least one back-office room occupancy. Incremental by local visit day, like fct_room_occupancy.
{{ room_day_config('visit_date') }}

-- depends_on: {{ ref('int_room_encounter_back_office') }}
-- The rows of int_room_encounter_back_office (macro encounter_back_office) for the visit days due: after each
-- clinic's last day already built (all days of a clinic without one, and on a full refresh), or stale (macro
-- room_stale). The filter applies to the encounters, before the join.

select * from ({{ encounter_back_office(
    clinic_day_due('visit_date', 'clinic_id', 'cast(arrived_at_local as date)')) }})
