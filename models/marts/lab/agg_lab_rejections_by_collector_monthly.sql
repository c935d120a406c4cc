-- Specimen rejections per clinic x collector (collected_by, staff id) x collection month: rate = specimens with a
-- rejected test / specimens collected (not cancelled), counted per specimen, not per test. Feeds the collector's
-- training (domain-standards 4: CLIA element 1 observes specimen handling).
-- Incremental by clinic and month: a run recomputes each clinic's last month and every month with a row of a
-- specimen that has a row newer than the table's last_ingested_at (macro lab_specimen_stale), reading all rows of
-- the specimens with a row in those months (a specimen counts in the month of its first collection day).
{{ clinic_day_config("{{ clinic_day_lookback_delete('month_start', 0,
                                           lab_specimen_stale(lab_period('month', 't.collected_date'),
                                                              built_column='last_ingested_at')) }}") }}

with turnaround as (
    {{ lab_rows_of_due_specimens('month_start', lab_period('month')) }}
),

per_specimen as (
    select
        clinic_id,
        collected_by,
        specimen_id,
        cast(date_trunc('month', min(collected_date)) as date) as month_start,
        bool_or(status = 'rejected') as is_rejected,
        bool_and(status = 'cancelled') as is_cancelled,
        {{ most_frequent('rejection_reason', "status = 'rejected'") }} as rejection_reason,
        max(source_ingested_at) as last_ingested_at
    from turnaround
    group by clinic_id, collected_by, specimen_id
)

select
    clinic_id,
    collected_by,
    month_start,
    count(*) filter (where not is_cancelled) as n_specimens,
    count(*) filter (where is_rejected) as n_rejected,
    100.0 * count(*) filter (where is_rejected) / nullif(count(*) filter (where not is_cancelled), 0) as pct_rejected,
    {{ most_frequent('rejection_reason', 'is_rejected') }} as top_rejection_reason,
    max(last_ingested_at) as last_ingested_at
from per_specimen
where {{ clinic_day_due('month_start', 'clinic_id', 'month_start') }}
group by clinic_id, collected_by, month_start
