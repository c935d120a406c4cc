-- Staging: the current version of each staff record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'staff') }}
    where _is_current
),

renamed as (
    select
        clinic_id,
        staff_id,
        display_name,
        role,
        started_on,
        ended_on,
        supervisor_id,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
