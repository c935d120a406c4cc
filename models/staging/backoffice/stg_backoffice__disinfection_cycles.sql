-- Staging: the current version of each disinfection_cycles record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'disinfection_cycles') }}
    where _is_current
),

renamed as (
    select
        cycle_id,
        clinic_id,
        device_id,
        method,
        started_at,
        started_at_local,
        ended_at,
        ended_at_local,
        exposure_minutes,
        temperature_c,
        solution_lot,
        mec_test_pass,
        operator_id,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
