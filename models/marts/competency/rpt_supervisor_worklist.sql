-- Per supervisor, as of the status date (competency_as_of_date, else the export's last day with activity): each of
-- their staff's competencies and required certifications with status and due date, what falls due next, and the
-- supervised performances logged towards sign-off (domain-standards 4). One row per supervisor x staff member x item.
with as_of as (
    select clinic_id, max(last_status_date) as as_of_date
    from {{ ref('int_competency_calendar') }}
    group by all
),

competencies as (
    select
        s.clinic_id, s.supervisor_id, s.staff_id, 'competency' as item_type, s.competency_code as item_code,
        s.competency_kind as item_kind, s.status, s.due_on, s.days_until_due, s.due_for, s.signed_off_on,
        s.supervised_performances_logged, s.supervised_performances_needed, s.status_date
    from {{ ref('int_competency_status_daily') }} s
    join as_of a on a.clinic_id = s.clinic_id and a.as_of_date = s.status_date
    where s.is_employed
),

certifications as (
    select
        s.clinic_id, s.supervisor_id, s.staff_id, 'certification', s.certification_code, 'certification',
        s.status, s.valid_through, s.days_until_expiry, 'renewal', null::date, null::bigint, null::integer,
        s.status_date
    from {{ ref('int_certification_status_daily') }} s
    join as_of a on a.clinic_id = s.clinic_id and a.as_of_date = s.status_date
    where s.is_employed and s.is_required
),

items as (
    select * from competencies
    union all
    select * from certifications
)

select
    i.clinic_id,
    i.supervisor_id,
    sup.display_name as supervisor_name,
    i.staff_id,
    st.display_name,
    st.role,
    i.status_date as as_of_date,
    i.item_type,
    i.item_code,
    i.item_kind,
    i.status,
    i.due_on,
    i.days_until_due,
    i.due_for,
    i.signed_off_on,
    i.supervised_performances_logged,
    i.supervised_performances_needed,
    i.due_on is not null
        and row_number() over (partition by i.clinic_id, i.staff_id
                               order by i.due_on nulls last, i.item_type, i.item_code) = 1 as is_next_due
from items i
left join {{ ref('stg_backoffice__staff') }} st on st.clinic_id = i.clinic_id and st.staff_id = i.staff_id
left join {{ ref('stg_backoffice__staff') }} sup on sup.clinic_id = i.clinic_id and sup.staff_id = i.supervisor_id
