-- Staging: the current version of each rooms record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'rooms') }}
    where _is_current
),

renamed as (
    select
        clinic_id,
        room_id,
        name,
        room_type,
        active_from,
        active_to,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
