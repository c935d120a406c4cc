-- Staging: the current version of each certifications record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'certifications') }}
    where _is_current
),

renamed as (
    select
        staff_id,
        certification_code,
        issued_on,
        expires_on,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
