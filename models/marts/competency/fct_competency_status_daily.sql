-- Competency status per staff member x competency x day while employed (domain-standards 4): current / due_soon /
-- overdue / never_assessed, with the date the next assessment (or, for a procedure skill, the next independent case)
-- falls due. Filter on status_date for "who may do what unsupervised on day X".
-- Incremental: the new days, and the pairs with rows of int_competency_status_daily rebuilt for older days
-- (macro competency_mart_pre_hooks).
{{ clinic_day_config(
    "{{ competency_mart_pre_hooks(['int_competency_status_daily'],
                                 'status_date', ['clinic_id', 'staff_id', 'competency_code']) }}",
    post_hook="{{ competency_mart_post_hooks() }}") }}

-- depends_on: {{ ref('int_competency_status_daily') }}

select
    s.clinic_id,
    s.staff_id,
    st.display_name,
    s.role,
    s.supervisor_id,
    s.competency_code,
    c.competency_name,
    s.competency_kind,
    s.testing_complexity,
    s.status_date,
    s.status,
    s.last_assessed_on,
    s.due_on,
    s.days_until_due,
    s.due_for,
    s.signed_off_on,
    s.last_practice_on,
    s.supervised_performances_logged,
    s.supervised_performances_needed
from {{ ref('int_competency_status_daily') }} s
join {{ ref('competency_catalog') }} c using (competency_code)
left join {{ ref('stg_backoffice__staff') }} st on st.clinic_id = s.clinic_id and st.staff_id = s.staff_id
where s.is_employed
  and {{ clinic_day_due('status_date', 's.clinic_id', 's.status_date',
                          ['s.clinic_id', 's.staff_id', 's.competency_code'],
                          ['clinic_id', 'staff_id', 'competency_code']) }}
