-- Compliance rates per clinic x ISO week x rule (domain-standards 3.4 audit KPIs and 4): checks, compliant checks and
-- the rate, from every sterility / reprocessing / cleaning / patients'-rights check and every competency check of a
-- performed test or procedure. The week is that of the checked subject's local date.
with checks as (
    select clinic_id, rule_code, week_start, is_compliant from {{ ref('fct_sterility_checks') }}
    union all
    select clinic_id, rule_code, week_start, is_compliant from {{ ref('fct_competency_checks') }}
)

select
    c.clinic_id,
    c.week_start,
    c.rule_code,
    r.rule_domain,
    r.rule_title,
    count(*) as checks,
    count(*) filter (where c.is_compliant) as compliant,
    count(*) filter (where not c.is_compliant) as exceptions,
    round(100.0 * count(*) filter (where c.is_compliant) / count(*), 2) as compliance_pct,
    100.0 * r.target_rate as target_pct
from checks c
join {{ ref('dim_compliance_rules') }} r using (rule_code)
group by all
