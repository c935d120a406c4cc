-- Specimen rejections per clinic x collector (collected_by, staff id) x collection month: rate = specimens with a
-- rejected test / specimens collected (not cancelled), counted per specimen, not per test. Feeds the collector's
-- training (domain-standards 4: CLIA element 1 observes specimen handling).
with per_specimen as (
    select
        clinic_id,
        collected_by,
        specimen_id,
        cast(date_trunc('month', min(collected_date)) as date) as month_start,
        bool_or(status = 'rejected') as is_rejected,
        bool_and(status = 'cancelled') as is_cancelled,
        mode(rejection_reason) filter (where status = 'rejected') as rejection_reason
    from {{ ref('fct_lab_turnaround') }}
    group by clinic_id, collected_by, specimen_id
)

select
    clinic_id,
    collected_by,
    month_start,
    count(*) filter (where not is_cancelled) as n_specimens,
    count(*) filter (where is_rejected) as n_rejected,
    100.0 * count(*) filter (where is_rejected) / nullif(count(*) filter (where not is_cancelled), 0) as pct_rejected,
    mode(rejection_reason) filter (where is_rejected) as top_rejection_reason
from per_specimen
group by clinic_id, collected_by, month_start
