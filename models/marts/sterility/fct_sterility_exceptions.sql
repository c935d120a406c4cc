-- The auditor's take-away list: every sterility, reprocessing, cleaning and patients'-rights check that failed, with
-- the rule it broke and why. One row per failed rule x subject (fct_sterility_checks where not is_compliant).
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
    c.detail
from {{ ref('fct_sterility_checks') }} c
join {{ ref('dim_compliance_rules') }} r using (rule_code)
where not c.is_compliant
