-- Certification status per staff member x certification x day (domain-standards 4, credential expiry): current,
-- expiring (valid, but expires within the catalog's warning_days), expired (held before, none valid that day) or
-- missing (never held by that day). A certificate is valid from issued_on through expires_on; without expires_on,
-- through the end of the month renewal_months after issue (AHA BLS: "to the end of the issue month"). Pairs: every
-- certification a staff member's role requires (seeds/certification_catalog.csv) and every one they hold.
-- A table, not a view: the competency checks, the daily mart and the supervisor worklist all read it. Incremental: a
-- run adds each clinic's new days, and recomputes all days of the staff members whose record or certificates
-- changed (macro certification_stale).
{{ clinic_day_config("{{ competency_pre_hooks('certification') }}",
                    post_hook="{{ competency_post_hooks('certification') }}") }}
with calendar as (
    select * from {{ ref('int_competency_calendar') }}
),

staff as (
    select clinic_id, staff_id, role, started_on, ended_on, supervisor_id from {{ ref('stg_backoffice__staff') }}
),

catalog as (
    select
        certification_code,
        certification_name,
        renewal_months,
        warning_days,
        list_transform(string_split(required_for_roles, '|'), lambda r: trim(r)) as required_for_roles
    from {{ ref('certification_catalog') }}
),

certificates as (
    select
        s.clinic_id,
        c.staff_id,
        c.certification_code,
        c.issued_on,
        coalesce(c.expires_on, last_day(cast(c.issued_on + to_months(k.renewal_months) as date))) as valid_to
    from {{ ref('stg_backoffice__certifications') }} c
    join staff s using (staff_id)
    left join catalog k using (certification_code)
),

running as (
    -- The latest validity among certificates issued so far: renewals may overlap the certificate they replace.
    select
        *,
        max(valid_to) over (partition by clinic_id, staff_id, certification_code order by issued_on
                            rows unbounded preceding) as valid_through
    from certificates
),

pairs as (
    select s.clinic_id, s.staff_id, k.certification_code
    from staff s
    join catalog k on list_contains(k.required_for_roles, s.role)
    union
    select clinic_id, staff_id, certification_code from certificates
),

grid as (
    select p.*, c.status_date
    from pairs p
    join calendar c using (clinic_id)
    where {{ clinic_day_due('status_date', 'p.clinic_id', 'c.status_date', ['p.clinic_id', 'p.staff_id'],
                            ['clinic_id', 'staff_id']) }}
),

resolved as (
    select
        g.clinic_id,
        g.staff_id,
        g.certification_code,
        g.status_date,
        s.role,
        s.supervisor_id,
        s.staff_id is not null
            and g.status_date >= s.started_on
            and (s.ended_on is null or g.status_date <= s.ended_on) as is_employed,
        coalesce(list_contains(k.required_for_roles, s.role), false) as is_required,
        r.issued_on as last_issued_on,
        r.valid_through,
        k.warning_days
    from grid g
    asof left join running r
        on r.clinic_id = g.clinic_id and r.staff_id = g.staff_id and r.certification_code = g.certification_code
       and g.status_date >= r.issued_on
    left join staff s on s.clinic_id = g.clinic_id and s.staff_id = g.staff_id
    left join catalog k on k.certification_code = g.certification_code
)

select
    *,
    case when valid_through >= status_date then valid_through - status_date end as days_until_expiry,
    case
        when last_issued_on is null then 'missing'
        when valid_through < status_date then 'expired'
        when valid_through - status_date <= coalesce(warning_days, 0) then 'expiring'
        else 'current'
    end as status,
    {{ competency_built_at() }} as _built_at
from resolved
