-- Lab turnaround per clinic x ISO week (Monday start, local collection day) x test x priority x performing site.
-- Weekly medians expose poor performance that monthly aggregates hide (Coetzee 2020, domain-standards 1.2).
-- Computed from the specimen rows, not from the daily mart: a median of medians is not a median.
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
group by clinic_id, week_start, test_code, priority, performing_site
