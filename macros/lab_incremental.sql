{#- The stale partitions of the incremental lab marts (macro clinic_day_lookback_delete): which local days or periods a
    run must recompute besides those after each clinic's watermark. -#}

{#- The newest ingest time of the sources of fct_lab_turnaround and fct_lab_send_outs: lab rows and encounters. The
    pre-hook saves it (macro ingest_watermark_save) and the next run's stale rows are those ingested after it. The
    watermark must cover both sources: the newest lab row alone lags behind an encounter export loaded after the lab
    export, and every encounter would then look late, making the run recompute the whole history. -#}
{% macro lab_source_ingested_at() -%}
    {{ newest_ingested_at(['stg_backoffice__lab_specimens', 'stg_backoffice__encounters']) }}
{%- endmacro %}

{#- fct_lab_turnaround: the collection days of the lab rows ingested after the previous run's watermark (macro
    lab_source_ingested_at), and of the rows whose encounter came again (a later departure changes
    resulted_before_departure); and the days those rows had in the table, since a corrected re-export may move a row
    to another day. -#}
{% macro lab_turnaround_stale() -%}
    with built as (
        select {{ ingest_watermark() }} as built_at
    ),

    -- The few late rows first (materialized): a filter on a scalar subquery is planned as a join, which DuckDB may
    -- otherwise order after the join with the whole history.
    late_encounters as materialized (
        select clinic_id, encounter_id from {{ ref('stg_backoffice__encounters') }}
        where ingested_at > (select built_at from built)
    ),

    late as materialized (
        select clinic_id, specimen_id, test_code, cast(collected_at_local as date) as day
        from {{ ref('stg_backoffice__lab_specimens') }}
        where ingested_at > (select built_at from built)
        union all
        select s.clinic_id, s.specimen_id, s.test_code, cast(s.collected_at_local as date)
        from late_encounters e
        join {{ ref('stg_backoffice__lab_specimens') }} s
            on s.clinic_id = e.clinic_id and s.encounter_id = e.encounter_id
    )

    select clinic_id, day from late
    union all
    select t.clinic_id, t.collected_date from {{ this }} t join late using (clinic_id, specimen_id, test_code)
{%- endmacro %}

{#- Marts built from fct_lab_turnaround, partitioned by `day` (an expression on its rows: collected_date, its week or
    month): the partitions of the rows of every specimen with a row the mart has not seen yet (a specimen counts
    where its first row falls), and those specimens' partitions in the mart when it has a specimen_id column. -#}
{% macro lab_specimen_stale(day, built_column='source_ingested_at', this_has_specimens=false, date_column=none) -%}
    with late as (
        select distinct clinic_id, specimen_id
        from {{ ref('fct_lab_turnaround') }}
        where source_ingested_at > (select coalesce(max({{ built_column }}), timestamp '-infinity') from {{ this }})
    )

    select t.clinic_id, {{ day }}
    from {{ ref('fct_lab_turnaround') }} t
    join late using (clinic_id, specimen_id)
    union all
    {{ lab_versions_stale(day, built_column) }}
    {%- if this_has_specimens %}
    union all
    select b.clinic_id, b.{{ date_column }} from {{ this }} b join late using (clinic_id, specimen_id)
    {%- endif %}
{%- endmacro %}

{#- Weekly and monthly lab marts: the ISO week or calendar month of a collection day, and the periods with rows of
    fct_lab_turnaround newer than the mart's last_ingested_at. -#}
{% macro lab_period(period, day='collected_date') -%}
    cast(date_trunc('{{ period }}', {{ day }}) as date)
{%- endmacro %}

{% macro lab_period_stale(period) -%}
    {{ clinic_day_ingested_after(ref('fct_lab_turnaround'), lab_period(period), built_column='last_ingested_at') }}
    union all
    {{ lab_versions_stale(lab_period(period, 't.collected_date'), 'last_ingested_at') }}
{%- endmacro %}

{#- The partitions (`day`, an expression on rows `t` with clinic_id and collected_date) of the lab rows ingested after
    the newest ingest time the model has stored (its column `built_column`), and of the versions those re-exports
    superseded (macro source_versions_since): a corrected re-export that moves a specimen to another day leaves the
    old day's (week's, month's) figures too. -#}
{% macro lab_versions_stale(day, built_column) -%}
    {%- set since = "(select coalesce(max(" ~ built_column ~ "), timestamp '-infinity') from " ~ this ~ ")" -%}
    select t.clinic_id, {{ day }}
    from (select clinic_id, cast(collected_at_local as date) as collected_date
          from ({{ source_versions_since('lab_specimens', since) }})) t
{%- endmacro %}

{#- The fct_lab_turnaround rows of every specimen with a row in a partition this run recomputes (`date_column`, the
    mart's partition, is `day` on the rows): a specimen's figures need all its rows. -#}
{% macro lab_rows_of_due_specimens(date_column, day) -%}
    select * from {{ ref('fct_lab_turnaround') }}
    {%- if is_incremental() %}
    where (clinic_id, specimen_id) in (
        select clinic_id, specimen_id from {{ ref('fct_lab_turnaround') }}
        where {{ clinic_day_due(date_column, 'clinic_id', day) }})
    {%- endif %}
{%- endmacro %}
