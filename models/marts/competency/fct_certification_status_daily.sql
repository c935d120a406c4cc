-- Certification status per staff member x certification x day while employed (domain-standards 4): current /
-- expiring (within the catalog's warning window) / expired / missing, with the date the certification runs out.
-- Incremental like int_certification_status_daily (macro certification_stale).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ competency_pre_hooks('certification', 'status_date') }}",
    post_hook="{{ competency_post_hooks('certification') }}",
) }}
{{ competency_hook_refs('certification') }}

select
    s.clinic_id,
    s.staff_id,
    st.display_name,
    s.role,
    s.supervisor_id,
    s.certification_code,
    k.certification_name,
    s.is_required,
    s.status_date,
    s.status,
    s.last_issued_on,
    s.valid_through,
    s.days_until_expiry,
    s.warning_days
from {{ ref('int_certification_status_daily') }} s
join {{ ref('certification_catalog') }} k using (certification_code)
left join {{ ref('stg_backoffice__staff') }} st on st.clinic_id = s.clinic_id and st.staff_id = s.staff_id
where s.is_employed
  and {{ clinic_day_due('status_date', 's.clinic_id', 's.status_date', ['s.clinic_id', 's.staff_id'],
                          ['clinic_id', 'staff_id']) }}
