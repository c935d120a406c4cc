-- Send-outs per clinic x reference lab x test x priority x collection month: collection -> shipped, shipped ->
-- result back and the total, in calendar hours and working days (median and 90th percentile), % back within the
-- reference lab's promise, and the specimens of that month still open past the promise as of the latest data date
-- (domain-standards 1.3). A leg enters its statistics only for final/corrected rows without a timeline error and
-- with that leg positive.
-- Incremental by clinic and month: a run recomputes each clinic's last month, every month with a send-out newer than
-- the table's last_ingested_at, and every month with a specimen open now or when the month was last built (open
-- specimens are judged as of the clinic's latest lab event), and the months a re-export moved a specimen out of
-- (macro lab_versions_stale).
{{ clinic_day_config("{{ clinic_day_lookback_delete('month_start', 0,
                 clinic_day_ingested_after(ref('fct_lab_send_outs'), lab_period('month'),
                                           built_column='last_ingested_at')
                 ~ ' union all select clinic_id, ' ~ lab_period('month') ~ ' from ' ~ ref('fct_lab_send_outs')
                 ~ ' where is_open union all select clinic_id, month_start from ' ~ this ~ ' where n_open > 0'
                 ~ ' union all ' ~ lab_versions_stale(lab_period('month', 't.collected_date'), 'last_ingested_at')) }}") }}
{%- set legs = ['collection_to_shipped', 'shipped_to_result', 'collection_to_result'] %}
select
    clinic_id,
    reference_lab,
    cast(date_trunc('month', collected_date) as date) as month_start,
    test_code,
    priority,
    count(*) as n_send_outs,
    count(*) filter (where is_reportable) as n_reportable,
{%- for leg in legs %}
    {%- set ok = "is_reportable and " ~ leg ~ "_hours is not null and not list_contains(invalid_intervals, '" ~ leg ~ "')" %}
    count(*) filter (where {{ ok }}) as n_{{ leg }},
    quantile_cont({{ leg }}_hours, 0.5) filter (where {{ ok }}) as median_{{ leg }}_hours,
    quantile_cont({{ leg }}_hours, 0.9) filter (where {{ ok }}) as p90_{{ leg }}_hours,
    quantile_cont({{ leg }}_working_days, 0.5) filter (where {{ ok }}) as median_{{ leg }}_working_days,
    quantile_cont({{ leg }}_working_days, 0.9) filter (where {{ ok }}) as p90_{{ leg }}_working_days,
{%- endfor %}
    count(*) filter (where is_within_promise is not null) as n_with_promise,
    count(*) filter (where is_within_promise) as n_within_promise,
    100.0 * count(*) filter (where is_within_promise) / nullif(count(*) filter (where is_within_promise is not null), 0) as pct_within_promise,
    count(*) filter (where is_open) as n_open,
    count(*) filter (where is_open_past_promise) as n_open_past_promise,
    max(as_of_date) as as_of_date,
    max(source_ingested_at) as last_ingested_at
from {{ ref('fct_lab_send_outs') }}
where {{ clinic_day_due('month_start', 'clinic_id', lab_period('month')) }}
group by clinic_id, reference_lab, month_start, test_code, priority
