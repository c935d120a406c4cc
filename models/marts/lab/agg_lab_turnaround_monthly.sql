-- Lab turnaround per clinic x calendar month (local collection day) x test x priority x performing site.
-- Computed from the specimen rows, not from the daily mart: a median of medians is not a median.
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
group by clinic_id, month_start, test_code, priority, performing_site
