-- Lab turnaround per clinic x ISO week (Monday start, local collection day) x test x priority x performing site.
-- Weekly medians expose poor performance that monthly aggregates hide (Coetzee 2020, domain-standards 1.2).
-- Computed from the specimen rows, not from the daily mart: a median of medians is not a median.
-- Incremental by clinic and week: a run recomputes each clinic's last week and every week with a row of
-- fct_lab_turnaround newer than the table's last_ingested_at (macro lab_period_stale).
{{ clinic_day_config("{{ clinic_day_lookback_delete('week_start', 0, lab_period_stale('week')) }}") }}

select
    clinic_id,
    cast(date_trunc('week', collected_date) as date) as week_start,
    test_code,
    any_value(test_name) as test_name,
    any_value(test_category) as test_category,
    priority,
    performing_site,
    {{ lab_turnaround_stats() }}
from {{ ref('fct_lab_turnaround') }}
where {{ clinic_day_due('week_start', 'clinic_id', lab_period('week')) }}
group by clinic_id, week_start, test_code, priority, performing_site
