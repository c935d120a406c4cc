{#- Aggregate columns for the lab turnaround marts (daily, weekly, monthly), over rows of fct_lab_turnaround.

    Statistics as laboratories report them (domain-standards 1.2): count, median and 90th percentile (linear
    interpolation, quantile_cont: TAT distributions are right-skewed), % within the test's target and the outlier
    count (CAP Q-Tracks, Novis 2004). Only final or corrected results without a timeline error enter a statistic,
    and an interval that is zero or negative (fct_lab_turnaround.invalid_intervals) is left out of its own
    statistic (domain-standards 1.4). Percentages are 100 x count / count (exact; no averages of decimals, so an
    incremental run reproduces a full rebuild bit for bit). -#}
{% macro lab_interval_names() -%}
    {{ return(['order_to_collection', 'collection_to_receipt', 'receipt_to_verified', 'order_to_result',
               'result_to_review', 'result_to_critical_call', 'collection_to_shipped', 'shipped_to_result']) }}
{%- endmacro %}

{% macro lab_turnaround_stats() -%}
        count(*) as n_tests,
        count(*) filter (where status = 'rejected') as n_rejected,
        count(*) filter (where has_timeline_error) as n_timeline_errors,
        count(*) filter (where is_countable) as n_countable,
        quantile_cont(collection_to_result_min, 0.5) filter (where is_countable) as median_collection_to_result_min,
        quantile_cont(collection_to_result_min, 0.9) filter (where is_countable) as p90_collection_to_result_min,
        count(*) filter (where is_countable and target_minutes is not null) as n_with_target,
        count(*) filter (where is_countable and is_within_target) as n_within_target,
        100.0 * count(*) filter (where is_countable and is_within_target)
            / nullif(count(*) filter (where is_countable and target_minutes is not null), 0) as pct_within_target,
        count(*) filter (where is_outlier) as n_outliers,
        count(*) filter (where is_countable and resulted_before_departure is not null) as n_with_departure,
        count(*) filter (where is_countable and resulted_before_departure) as n_resulted_before_departure,
        100.0 * count(*) filter (where is_countable and resulted_before_departure)
            / nullif(count(*) filter (where is_countable and resulted_before_departure is not null), 0)
            as pct_resulted_before_departure,
{%- for name in lab_interval_names() %}
        {%- set ok = "status in ('final', 'corrected') and not has_timeline_error and " ~ name ~ "_min is not null"
                     ~ " and not list_contains(invalid_intervals, '" ~ name ~ "')" %}
        count(*) filter (where {{ ok }}) as n_{{ name }},
        quantile_cont({{ name }}_min, 0.5) filter (where {{ ok }}) as median_{{ name }}_min,
        quantile_cont({{ name }}_min, 0.9) filter (where {{ ok }}) as p90_{{ name }}_min,
{%- endfor %}
        max(source_ingested_at) as last_ingested_at
{%- endmacro %}
