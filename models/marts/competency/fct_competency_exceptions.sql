-- Supervisors' and auditors' list of competency exceptions (domain-standards 4): every test or procedure performed by
-- someone whose competency or required certification was not current that day, and every unsupervised performance
-- of a procedure skill before sign-off - staff, date, what, why. One row per performance x broken rule (x
-- certification).
-- The rows of fct_competency_checks that broke their rule (built earlier in the same run): incremental like it, and
-- for the same staff members (macro competency_mart_pre_hooks), without computing the checks a second time.
{{ clinic_day_config(
    "{{ competency_mart_pre_hooks(['int_competency_status_daily', 'int_certification_status_daily'],
                                 'exception_date', ['clinic_id', 'staff_id'], performances=true) }}",
    post_hook="{{ competency_mart_post_hooks(performances=true) }}") }}

-- depends_on: {{ ref('int_competency_status_daily') }}
-- depends_on: {{ ref('int_certification_status_daily') }}
-- depends_on: {{ ref('int_competency_performances') }}

select
    c.clinic_id,
    c.performed_on as exception_date,
    c.week_start,
    c.rule_code,
    r.rule_title,
    c.performed_by as staff_id,
    st.display_name,
    st.role,
    st.supervisor_id,
    c.performance_type,
    c.record_id,
    c.performed_code,
    c.competency_code,
    c.certification_code,
    c.supervised_by,
    c.patient_id,
    c.reason,
    c.detail
from {{ ref('fct_competency_checks') }} c
join {{ ref('dim_compliance_rules') }} r using (rule_code)
left join {{ ref('stg_backoffice__staff') }} st on st.clinic_id = c.clinic_id and st.staff_id = c.performed_by
where not c.is_compliant
  and {{ clinic_day_due('exception_date', 'c.clinic_id', 'c.performed_on', ['c.clinic_id', 'c.performed_by'],
                        ['clinic_id', 'staff_id']) }}
