-- Every performed test or procedure checked against the performer's competency, sign-off and certifications that
-- day (domain-standards 4): one row per performance x rule (x required certification). is_compliant = false rows are
-- the competency exceptions; the rate per clinic and week is in agg_compliance_weekly.
select
    c.clinic_id,
    c.rule_code,
    c.performance_type,
    c.record_id,
    c.performed_code,
    c.performed_on,
    cast(date_trunc('week', c.performed_on) as date) as week_start,
    c.performed_by,
    c.supervised_by,
    c.competency_code,
    cast(c.certification_code as varchar) as certification_code,
    c.is_compliant,
    c.reason,
    c.detail
from {{ ref('int_competency_checks') }} c
