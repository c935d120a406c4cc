-- The auditor's take-away list: every sterility, reprocessing, cleaning and patients'-rights check that failed, with
-- the rule it broke and why. One row per failed rule x subject (fct_sterility_checks where not is_compliant).
-- Incremental by clinic and exception_date: a run recomputes each clinic's last day and every day with check rows
-- built after the table's source_ingested_at (the days fct_sterility_checks rebuilt; macro clinic_day_ingested_after).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ clinic_day_lookback_delete('exception_date', 0,
                                           clinic_day_ingested_after(ref('fct_sterility_checks'), 'check_date')) }}",
    post_hook="{{ clinic_day_stale_drop() }}",
) }}

select
    c.clinic_id,
    c.check_date as exception_date,
    c.week_start,
    c.rule_code,
    r.rule_domain,
    r.rule_title,
    r.rule_source,
    c.subject_type,
    c.subject_id,
    c.sterilizer_id,
    c.load_id,
    c.room_id,
    c.device_id,
    c.procedure_id,
    c.patient_id,
    c.reason,
    c.detail,
    c.source_ingested_at
from {{ ref('fct_sterility_checks') }} c
join {{ ref('dim_compliance_rules') }} r using (rule_code)
where not c.is_compliant
  and {{ clinic_day_due('exception_date', 'c.clinic_id', 'c.check_date') }}
