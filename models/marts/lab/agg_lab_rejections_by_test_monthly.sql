-- Specimen rejections (haemolysed, insufficient volume, unlabelled, clotted, ...) per clinic x test x collection
-- month: rate = rejected / (specimen x test rows not cancelled). A pre-analytic quality indicator (IFCC WG-LEPS
-- model of quality indicators, domain-standards 1.2).
-- Incremental by clinic and month: a run recomputes each clinic's last month and every month with a row of
-- fct_lab_turnaround newer than the table's last_ingested_at (macro lab_period_stale).
{{ clinic_day_config("{{ clinic_day_lookback_delete('month_start', 0, lab_period_stale('month')) }}") }}

select
    clinic_id,
    cast(date_trunc('month', collected_date) as date) as month_start,
    test_code,
    any_value(test_name) as test_name,
    count(*) filter (where status <> 'cancelled') as n_tests,
    count(*) filter (where status = 'rejected') as n_rejected,
    100.0 * count(*) filter (where status = 'rejected') / nullif(count(*) filter (where status <> 'cancelled'), 0) as pct_rejected,
    {{ most_frequent('rejection_reason', "status = 'rejected'") }} as top_rejection_reason,
    max(source_ingested_at) as last_ingested_at
from {{ ref('fct_lab_turnaround') }}
where {{ clinic_day_due('month_start', 'clinic_id', lab_period('month')) }}
group by clinic_id, month_start, test_code
