-- One row per sterilizer cycle (loads and test cycles) with the per-load monitoring facts of domain-standards 3.1
-- (CDC 2008; AAMI ST79): is the load record complete, was the load released with a failed or missing physical or
-- chemical result, did an implant load wait for its negative biological indicator (BI).
with cycles as (
    select * from {{ ref('stg_backoffice__sterilizer_cycles') }}
),

sterilizers as (
    -- A sterilizer that runs pre-vacuum cycles (or Bowie-Dick air-removal tests) is a pre-vacuum sterilizer.
    select
        clinic_id,
        sterilizer_id,
        bool_or(cycle_type in ('prevacuum', 'bowie_dick')) as is_prevacuum_sterilizer
    from cycles
    group by all
),

derived as (
    select
        c.*,
        cast(c.started_at_local as date) as cycle_date,
        c.cycle_type in ('prevacuum', 'gravity', 'immediate_use') as is_load,
        c.bi_result in ('negative', 'positive', 'pending') as has_bi,
        c.physical_pass is true as physical_ok,
        c.ci_result = 'pass' as ci_ok,
        c.released_at is not null as is_released,
        coalesce(c.contains_implant, false) as is_implant_load,
        -- Load record fields: CDC (sterilizer and cycle type, load id, exposure time and temperature, operator,
        -- mechanical/chemical/biological results) plus ST79 (releaser, BI lot).
        list_filter([
            case when c.operator_id is null then 'operator_id' end,
            case when c.exposure_minutes is null then 'exposure_minutes' end,
            case when c.exposure_temp_c is null then 'exposure_temp_c' end,
            case when c.physical_pass is null then 'physical_result' end,
            case when c.ci_result is null or c.ci_result = 'not_used' then 'chemical_indicator_result' end,
            case when c.bi_result is null then 'biological_indicator_result' end,
            case when c.bi_result in ('negative', 'positive', 'pending') and c.bi_lot is null then 'bi_lot' end,
            case when c.bi_result in ('negative', 'positive') and c.bi_read_at is null then 'bi_read_at' end,
            case when c.released_at is not null and c.released_by is null then 'released_by' end
        ], lambda f: f is not null) as missing_fields
    from cycles c
)

select
    d.clinic_id,
    d.load_id,
    d.sterilizer_id,
    s.is_prevacuum_sterilizer,
    d.cycle_type,
    d.is_load,
    d.cycle_date,
    d.started_at,
    d.started_at_local,
    d.ended_at,
    d.operator_id,
    d.exposure_temp_c,
    d.exposure_minutes,
    d.physical_pass,
    d.ci_result,
    d.bi_result,
    d.bi_lot,
    d.bi_read_at,
    d.bi_read_at_local,
    d.is_implant_load,
    d.released_at,
    d.released_at_local,
    d.released_by,
    d.has_bi,
    d.physical_ok,
    d.ci_ok,
    d.is_released,
    d.missing_fields,
    len(d.missing_fields) = 0 as is_record_complete,
    d.is_released and not (d.physical_ok and d.ci_ok) as is_released_with_failed_indicator,
    -- Implant loads: a BI in the load, released only once the BI has read negative (CDC 2008; ST79).
    case
        when d.is_implant_load and d.is_load then
            d.has_bi
            and (not d.is_released
                 or (d.bi_result = 'negative' and d.bi_read_at is not null and d.released_at >= d.bi_read_at))
    end as is_implant_release_ok,
    d.data_flags
from derived d
left join sterilizers s using (clinic_id, sterilizer_id)
