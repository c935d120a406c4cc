-- Staging: the current version of each lab_specimens record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'lab_specimens') }}
    where _is_current
),

renamed as (
    select
        specimen_id,
        clinic_id,
        patient_id,
        test_code,
        priority,
        encounter_id,
        order_id,
        ordered_at,
        ordered_at_local,
        ordered_by,
        collected_at,
        collected_at_local,
        collected_by,
        received_at,
        received_at_local,
        resulted_at,
        resulted_at_local,
        verified_at,
        verified_at_local,
        reviewed_at,
        reviewed_at_local,
        performing_site,
        reference_lab,
        shipped_at,
        shipped_at_local,
        performed_by,
        result_value,
        result_unit,
        abnormal_flag,
        critical_notified_at,
        critical_notified_at_local,
        status,
        rejection_reason,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
