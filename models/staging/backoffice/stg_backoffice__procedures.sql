-- Staging: the current version of each procedures record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'procedures') }}
    where _is_current
),

renamed as (
    select
        procedure_id,
        clinic_id,
        encounter_id,
        patient_id,
        procedure_code,
        room_id,
        performed_by,
        supervised_by,
        scheduled_start_at,
        scheduled_start_at_local,
        patient_in_at,
        patient_in_at_local,
        procedure_start_at,
        procedure_start_at_local,
        procedure_end_at,
        procedure_end_at_local,
        patient_out_at,
        patient_out_at_local,
        status,
        chaperone_present,
        interpreter_present,
        sterilizer_load_id,
        device_id,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
