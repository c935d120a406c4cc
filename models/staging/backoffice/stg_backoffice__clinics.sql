-- Staging: the current version of each clinics record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'clinics') }}
    where _is_current
),

renamed as (
    select
        clinic_id,
        name,
        timezone,
        country,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
