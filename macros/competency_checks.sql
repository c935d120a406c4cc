{#- The body of int_competency_checks (see there), on the performances that pass `where` (an expression on the rows
    of int_competency_performances): the competency check marts compute only the days and staff members an
    incremental run recomputes (a filter on the finished rows would come after the joins with the status tables). -#}
{% macro competency_checks(where='true') -%}
with performances as (
    select * from {{ ref('int_competency_performances') }}
    where {{ where }}
),

competency as (
    select * from {{ ref('int_competency_status_daily') }}
),

certification as (
    select * from {{ ref('int_certification_status_daily') }}
    where is_required
),

staff as (
    select clinic_id, staff_id, role from {{ ref('stg_backoffice__staff') }}
),

with_competency as (
    select
        p.*,
        c.competency_kind,
        c.status as competency_status,
        c.due_on,
        c.due_for,
        c.signed_off_on,
        c.competency_kind = 'procedure' and not coalesce(p.performed_on >= c.signed_off_on, false) as before_signoff
    from performances p
    left join competency c
        on c.clinic_id = p.clinic_id and c.staff_id = p.performed_by
       and c.competency_code = p.competency_code and c.status_date = p.performed_on
    where p.competency_code is not null
)

select
    clinic_id, performance_type, record_id, performed_code, performed_by, supervised_by, performed_on, patient_id,
    competency_code, null as certification_code,
    'supervised_until_signed_off' as rule_code,
    supervised_by is not null as is_compliant,
    case when supervised_by is null then 'unsupervised_before_signoff' end as reason,
    case when supervised_by is null then 'not signed off for ' || competency_code end as detail
from with_competency
where before_signoff

union all

select
    clinic_id, performance_type, record_id, performed_code, performed_by, supervised_by, performed_on, patient_id,
    competency_code, null,
    'performer_competency_current',
    competency_status in ('current', 'due_soon'),
    case
        when competency_status in ('current', 'due_soon') then null
        when competency_status = 'overdue' and competency_kind = 'procedure' and due_for = 'independent_case'
            then 'signoff_lapsed'
        when competency_status = 'overdue' then 'assessment_overdue'
        else 'never_assessed'
    end,
    case
        when competency_status in ('current', 'due_soon') then null
        when competency_status = 'overdue'
            then competency_code || ' ' || due_for || ' was due ' || strftime(due_on, '%Y-%m-%d')
        else competency_code || ' never assessed'
    end
from with_competency
where not before_signoff
  and not (competency_kind = 'procedure' and supervised_by is not null)

union all

select
    p.clinic_id, p.performance_type, p.record_id, p.performed_code, p.performed_by, p.supervised_by, p.performed_on,
    p.patient_id, p.competency_code, c.certification_code,
    'performer_certification_current',
    c.status in ('current', 'expiring'),
    case when c.status not in ('current', 'expiring') then 'certification_' || c.status end,
    case
        when c.status = 'expired'
            then c.certification_code || ' expired ' || strftime(c.valid_through, '%Y-%m-%d')
        when c.status = 'missing' then c.certification_code || ' not held'
    end
from performances p
join staff s on s.clinic_id = p.clinic_id and s.staff_id = p.performed_by
join certification c
    on c.clinic_id = p.clinic_id and c.staff_id = p.performed_by and c.status_date = p.performed_on
{%- endmacro %}
