-- Every procedure that needs critical (sterile) items (Spaulding, CDC/HICPAC 2008; seeds/procedure_catalog.csv
-- needs_sterile_load) traced to its sterilizer load: the load must exist, have been released before the items were
-- used, with passing physical and chemical indicators, no positive BI, and for an implant load a negative BI read
-- before release (domain-standards 3.1). Cancelled bookings are left out.
with procedures as (
    select * from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
),

catalog as (
    select procedure_code, needs_sterile_load from {{ ref('procedure_catalog') }}
),

loads as (
    select * from {{ ref('int_sterility_loads') }}
),

traced as (
    select
        p.clinic_id,
        p.procedure_id,
        p.procedure_code,
        p.room_id,
        p.patient_id,
        p.performed_by,
        p.status,
        coalesce(p.procedure_start_at, p.patient_in_at) as used_at,
        cast(coalesce(p.procedure_start_at_local, p.patient_in_at_local) as date) as procedure_date,
        p.sterilizer_load_id,
        l.load_id is not null as load_found,
        l.sterilizer_id,
        l.is_load,
        l.released_at,
        l.physical_ok,
        l.ci_ok,
        l.bi_result,
        l.is_implant_load,
        l.is_implant_release_ok
    from procedures p
    join catalog c on c.procedure_code = p.procedure_code and c.needs_sterile_load
    left join loads l on l.clinic_id = p.clinic_id and l.load_id = p.sterilizer_load_id
)

select
    *,
    case
        when sterilizer_load_id is null then 'no_load_recorded'
        when not load_found then 'unknown_load'
        when not is_load then 'not_a_load_cycle'
        when released_at is null then 'load_not_released'
        when used_at is not null and released_at > used_at then 'load_released_after_use'
        when not physical_ok then 'load_physical_fail_or_missing'
        when not ci_ok then 'load_chemical_indicator_fail_or_missing'
        when bi_result = 'positive' then 'load_bi_positive'
        when is_implant_load and not is_implant_release_ok then 'implant_load_released_before_negative_bi'
    end as reason
from traced
