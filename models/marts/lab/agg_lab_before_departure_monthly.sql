-- Rapid / in-house tests: share of results available before the patient left (result time <= the encounter's
-- departure), per clinic x test x month. This is why the back office tests in house: the result changes today's
-- visit (domain-standards 1.1 [I]: clinic KPI = result time <= Encounter.period.end).
-- Incremental by clinic and month: a run recomputes each clinic's last month and every month with a row of
-- fct_lab_turnaround newer than the table's last_ingested_at (macro lab_period_stale).
{{ clinic_day_config("{{ clinic_day_lookback_delete('month_start', 0, lab_period_stale('month')) }}") }}

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
        as pct_resulted_before_departure,
    max(source_ingested_at) as last_ingested_at
from {{ ref('fct_lab_turnaround') }}
where performing_site = 'in_house'
  and {{ clinic_day_due('month_start', 'clinic_id', lab_period('month')) }}
group by clinic_id, month_start, test_code
