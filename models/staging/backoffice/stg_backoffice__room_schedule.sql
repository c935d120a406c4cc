-- Staging: the current version of each room_schedule record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'room_schedule') }}
    where _is_current
),

renamed as (
    select
        clinic_id,
        room_id,
        weekday,
        opens_at,
        closes_at,
        valid_from,
        valid_to,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
