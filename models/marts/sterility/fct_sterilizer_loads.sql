-- One row per sterilizer cycle (loads and Bowie-Dick / leak tests) with its monitoring results and the per-load
-- compliance facts (domain-standards 3.1, 3.4): record completeness, release with a failed or missing indicator,
-- implant release after a negative BI, and whether the load falls in a recall after a positive BI.
with loads as (
    select * from {{ ref('int_sterility_loads') }}
),

recalled as (
    select clinic_id, load_id, min(positive_load_id) as recalled_by_positive_load_id
    from {{ ref('int_sterility_recall_loads') }}
    group by all
),

used as (
    select clinic_id, sterilizer_load_id as load_id, count(*) as procedures_using
    from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted') and sterilizer_load_id is not null
    group by all
)

select
    l.clinic_id,
    l.load_id,
    l.sterilizer_id,
    l.is_prevacuum_sterilizer,
    l.cycle_type,
    l.is_load,
    l.cycle_date,
    l.started_at_local,
    l.operator_id,
    l.exposure_temp_c,
    l.exposure_minutes,
    l.physical_pass,
    l.ci_result,
    l.bi_result,
    l.bi_lot,
    l.bi_read_at_local,
    l.is_implant_load,
    l.released_at_local,
    l.released_by,
    l.is_record_complete,
    l.missing_fields,
    l.is_released_with_failed_indicator,
    l.is_implant_release_ok,
    r.recalled_by_positive_load_id,
    coalesce(u.procedures_using, 0) as procedures_using
from loads l
left join recalled r using (clinic_id, load_id)
left join used u using (clinic_id, load_id)
