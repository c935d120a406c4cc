-- Specimen rejections (haemolysed, insufficient volume, unlabelled, clotted, ...) per clinic x test x collection
-- month: rate = rejected / (specimen x test rows not cancelled). A pre-analytic quality indicator (IFCC WG-LEPS
-- model of quality indicators, domain-standards 1.2).
select
    clinic_id,
    cast(date_trunc('month', collected_date) as date) as month_start,
    test_code,
    any_value(test_name) as test_name,
    count(*) filter (where status <> 'cancelled') as n_tests,
    count(*) filter (where status = 'rejected') as n_rejected,
    100.0 * count(*) filter (where status = 'rejected') / nullif(count(*) filter (where status <> 'cancelled'), 0) as pct_rejected,
    mode(rejection_reason) filter (where status = 'rejected') as top_rejection_reason
from {{ ref('fct_lab_turnaround') }}
group by clinic_id, month_start, test_code
