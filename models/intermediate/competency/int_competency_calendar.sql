-- The days competency and certification status is reported for: per clinic, from the first to the last day with a
-- performed test or procedure in the export, extended to competency_as_of_date when that is set and later.
with activity as (
    select clinic_id, min(performed_on) as first_day, max(performed_on) as last_day
    from {{ ref('int_competency_performances') }}
    group by all
),

span as (
    select
        clinic_id,
        first_day,
        {%- if var('competency_as_of_date') %}
        greatest(last_day, date '{{ var("competency_as_of_date") }}') as last_day
        {%- else %}
        last_day
        {%- endif %}
    from activity
)

select s.clinic_id, cast(d.day as date) as status_date, s.last_day as last_status_date
from span s, lateral (select unnest(generate_series(s.first_day, s.last_day, interval 1 day)) as day) d
