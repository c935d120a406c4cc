-- Every performed test or procedure checked against the performer's competency, sign-off and certifications that
-- day (domain-standards 4): one row per performance x rule (x required certification). is_compliant = false rows are
-- the competency exceptions; the rate per clinic and week is in agg_compliance_weekly.
-- Incremental by clinic and day performed: a run adds the new days, and recomputes every performance of the staff
-- members with status rows rebuilt for older days or a late test or procedure (macro competency_mart_pre_hooks).
{{ clinic_day_config(
    "{{ competency_mart_pre_hooks(['int_competency_status_daily', 'int_certification_status_daily'],
                                 'performed_on', ['clinic_id', 'performed_by'], performances=true) }}",
    post_hook="{{ competency_mart_post_hooks(performances=true) }}") }}

-- depends_on: {{ ref('int_competency_status_daily') }}
-- depends_on: {{ ref('int_certification_status_daily') }}

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
    c.patient_id,
    c.is_compliant,
    c.reason,
    c.detail
from ({{ competency_checks(clinic_day_due('performed_on', 'clinic_id', 'performed_on', ['clinic_id', 'performed_by'],
                                        ['clinic_id', 'performed_by'])) }}) c
