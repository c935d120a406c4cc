-- Staging: the current version of each sterilizer_cycles record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'sterilizer_cycles') }}
    where _is_current
),

renamed as (
    select
        load_id,
        clinic_id,
        sterilizer_id,
        cycle_type,
        started_at,
        started_at_local,
        ended_at,
        ended_at_local,
        operator_id,
        exposure_temp_c,
        exposure_minutes,
        physical_pass,
        ci_result,
        bi_result,
        bi_lot,
        bi_read_at,
        bi_read_at_local,
        contains_implant,
        released_at,
        released_at_local,
        released_by,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
