-- Lab turnaround per clinic x calendar month (local collection day) x test x priority x performing site.
-- Computed from the specimen rows, not from the daily mart: a median of medians is not a median.
-- Incremental by clinic and month: a run recomputes each clinic's last month and every month with a row of
-- fct_lab_turnaround newer than the table's last_ingested_at (macro lab_period_stale).
{{ clinic_day_config("{{ clinic_day_lookback_delete('month_start', 0, lab_period_stale('month')) }}") }}

select
    clinic_id,
    cast(date_trunc('month', collected_date) as date) as month_start,
    test_code,
    any_value(test_name) as test_name,
    any_value(test_category) as test_category,
    priority,
    performing_site,
    {{ lab_turnaround_stats() }}
from {{ ref('fct_lab_turnaround') }}
where {{ clinic_day_due('month_start', 'clinic_id', lab_period('month')) }}
group by clinic_id, month_start, test_code, priority, performing_site
