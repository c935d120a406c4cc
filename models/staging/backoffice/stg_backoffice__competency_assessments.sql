-- Staging: the current version of each competency_assessments record; renames lineage columns, no logic.
with source as (
    select * from {{ source('backoffice', 'competency_assessments') }}
    where _is_current
),

renamed as (
    select
        assessment_id,
        staff_id,
        competency_code,
        element,
        assessed_on,
        assessor_id,
        outcome,
        _flags as data_flags,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id,
        _ingested_at as ingested_at
    from source
)

select * from renamed
