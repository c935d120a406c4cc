-- Staging: the current version of each room_events record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'room_events') }}
    where _is_current
),

renamed as (
    select
        event_id,
        clinic_id,
        room_id,
        event_type,
        occurred_at,
        occurred_at_local,
        staff_id,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
