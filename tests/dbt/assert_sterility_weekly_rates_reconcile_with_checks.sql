-- The weekly compliance rates add up to the checks they summarise: per clinic and rule, checks and exceptions in
-- agg_compliance_weekly equal the sterility checks and competency checks, and exceptions equal the exception marts.
with rates as (
    select clinic_id, rule_code, sum(checks) as checks, sum(exceptions) as exceptions
    from {{ ref('agg_compliance_weekly') }}
    group by all
),

checks as (
    select clinic_id, rule_code, count(*) as checks, count(*) filter (where not is_compliant) as exceptions
    from {{ ref('fct_sterility_checks') }}
    group by all
    union all
    select clinic_id, rule_code, count(*), count(*) filter (where not is_compliant)
    from {{ ref('fct_competency_checks') }}
    group by all
),

listed as (
    select clinic_id, rule_code, count(*) as exceptions from {{ ref('fct_sterility_exceptions') }} group by all
    union all
    select clinic_id, rule_code, count(*) from {{ ref('fct_competency_exceptions') }} group by all
)

select coalesce(r.clinic_id, c.clinic_id) as clinic_id, coalesce(r.rule_code, c.rule_code) as rule_code,
       r.checks as rate_checks, c.checks, r.exceptions as rate_exceptions, l.exceptions as listed_exceptions
from rates r
full join checks c using (clinic_id, rule_code)
left join listed l on l.clinic_id = coalesce(r.clinic_id, c.clinic_id) and l.rule_code = coalesce(r.rule_code, c.rule_code)
where r.checks is distinct from c.checks
   or r.exceptions is distinct from c.exceptions
   or coalesce(l.exceptions, 0) <> coalesce(r.exceptions, 0)
