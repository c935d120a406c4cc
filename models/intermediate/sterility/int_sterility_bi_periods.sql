-- Routine biological-indicator monitoring: one row per sterilizer x period (ISO week, or day when the clinic sets
-- bi_monitoring_frequency = daily) in which the sterilizer ran at least one load, with the BIs run in that period
-- (CDC 2008: at least weekly; AAMI ST79: preferably daily; domain-standards 3.1). A period that is cut by the start
-- or end of the export and has no BI in the exported part cannot be judged and is marked not assessable.
{%- set daily = var('bi_monitoring_frequency') == 'daily' %}
with loads as (
    select * from {{ ref('int_sterility_loads') }}
),

coverage as (
    select clinic_id, min(cycle_date) as first_day, max(cycle_date) as last_day
    from loads
    group by clinic_id
),

periods as (
    select
        clinic_id,
        sterilizer_id,
        {% if daily %}cycle_date{% else %}cast(date_trunc('week', cycle_date) as date){% endif %} as period_start,
        count(*) filter (where is_load) as loads,
        count(*) filter (where has_bi) as bi_tests,
        min(started_at) filter (where has_bi) as first_bi_started_at
    from loads
    group by all
    having count(*) filter (where is_load) > 0
)

select
    p.clinic_id,
    p.sterilizer_id,
    '{{ "daily" if daily else "weekly" }}' as frequency,
    p.period_start,
    cast(p.period_start + interval {{ 0 if daily else 6 }} day as date) as period_end,
    p.loads,
    p.bi_tests,
    p.first_bi_started_at,
    p.bi_tests > 0 as has_bi,
    p.bi_tests > 0
        or (p.period_start >= c.first_day and p.period_start + interval {{ 0 if daily else 6 }} day <= c.last_day)
        as is_assessable
from periods p
join coverage c using (clinic_id)
