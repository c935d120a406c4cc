-- Staging: the current version of each encounters record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'encounters') }}
    where _is_current
),

renamed as (
    select
        encounter_id,
        clinic_id,
        patient_id,
        arrived_at,
        arrived_at_local,
        exam_room_id,
        exam_room_in_at,
        exam_room_in_at_local,
        exam_room_out_at,
        exam_room_out_at_local,
        departed_at,
        departed_at_local,
        chaperone_requested,
        interpreter_requested,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
