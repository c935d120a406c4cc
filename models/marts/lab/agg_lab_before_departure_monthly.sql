-- Rapid / in-house tests: share of results available before the patient left (result time <= the encounter's
-- departure), per clinic x test x month. This is why the back office tests in house: the result changes today's
-- visit (domain-standards 1.1 [I]: clinic KPI = result time <= Encounter.period.end).
select
    clinic_id,
    cast(date_trunc('month', collected_date) as date) as month_start,
    test_code,
    any_value(test_name) as test_name,
    count(*) filter (where is_countable) as n_countable,
    count(*) filter (where is_countable and resulted_before_departure is not null) as n_with_departure,
    count(*) filter (where is_countable and resulted_before_departure) as n_resulted_before_departure,
    100.0 * count(*) filter (where is_countable and resulted_before_departure)
        / nullif(count(*) filter (where is_countable and resulted_before_departure is not null), 0)
        as pct_resulted_before_departure
from {{ ref('fct_lab_turnaround') }}
where performing_site = 'in_house'
group by clinic_id, month_start, test_code
