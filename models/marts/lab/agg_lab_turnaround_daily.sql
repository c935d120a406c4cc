-- Lab turnaround per clinic x local collection day x test x priority x performing site (statistics: macro
-- lab_turnaround_stats). Incremental and partitioned by collected_date: a run recomputes whole days, namely the
-- last var lab_incremental_lookback_days days already in the table and every day that has a row ingested after the
-- table's newest ingested row (a late export, a corrected re-export of an old day, or a re-exported encounter with
-- its departure), and replaces them (delete+insert on collected_date). A changed seed or model needs --full-refresh.
-- A re-export that moves a specimen to another collection day recomputes the old day too (macro lab_versions_stale);
-- not caught: an old day left without any row of any clinic keeps its rows (delete+insert deletes only the days the
-- run produces) until a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='collected_date',
    on_schema_change='append_new_columns',
) }}

with turnaround as (
    select * from {{ ref('fct_lab_turnaround') }}
    {% if is_incremental() %}
    where collected_date >= (
            select coalesce(max(collected_date) - {{ var('lab_incremental_lookback_days') | int }}, date '1900-01-01')
            from {{ this }}
        )
        or collected_date in (
            select distinct collected_date from {{ ref('fct_lab_turnaround') }}
            where source_ingested_at > (
                select coalesce(max(last_ingested_at), timestamp '1900-01-01') from {{ this }}
            )
        )
        or collected_date in (select collected_date from ({{ lab_versions_stale('t.collected_date', 'last_ingested_at') }}))
    {% endif %}
)

select
    clinic_id,
    collected_date,
    test_code,
    any_value(test_name) as test_name,
    any_value(test_category) as test_category,
    priority,
    performing_site,
    {{ lab_turnaround_stats() }}
from turnaround
group by clinic_id, collected_date, test_code, priority, performing_site
