-- Certification status per staff member x certification x day while employed (domain-standards 4): current /
-- expiring (within the catalog's warning window) / expired / missing, with the date the certification runs out.
-- Incremental: the new days, and the staff with rows of int_certification_status_daily rebuilt for older days
-- (macro competency_mart_pre_hooks).
{{ clinic_day_config(
    "{{ competency_mart_pre_hooks(['int_certification_status_daily'],
                                 'status_date', ['clinic_id', 'staff_id']) }}",
    post_hook="{{ competency_mart_post_hooks() }}") }}

-- depends_on: {{ ref('int_certification_status_daily') }}

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
