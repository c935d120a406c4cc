{#- Incremental-by-clinic-and-local-day, shared by the room, throughput, lab, competency and sterility models.

    Clinics export independently, so each clinic has its own watermark: the last local day (or week, month) already
    built. A run first deletes each clinic's last `lookback_days` days (pre-hook; default var
    room_throughput_lookback_days), then appends every day after the remaining watermark.

    Late and corrected records: a model may name `stale`, a query of (clinic_id, <date_column>) partitions (or of
    other `stale_columns`, e.g. clinic_id, staff_id: all days of those staff members) that
    changed below the watermark (typically: the partitions of rows ingested after the newest one the table has
    seen, macro clinic_day_ingested_after, or than the ingest watermark of the previous run, macros ingest_watermark*).
    The pre-hook stores them in <model>__stale, before it deletes anything,
    and deletes them as well; the model recomputes them (macro clinic_day_due) and its post-hook drops the list.
    Without `stale`, corrections older than the look-back need --full-refresh. -#}

{% macro clinic_day_lookback_delete(date_column, lookback_days=none, stale=none, stale_columns=none) -%}
    {%- if is_incremental() -%}
    {%- set lookback = var('room_throughput_lookback_days') if lookback_days is none else lookback_days -%}
    {%- set columns = (stale_columns or ['clinic_id', date_column]) | join(', ') -%}
    {%- if stale %}
    create or replace table {{ clinic_day_stale_table() }} as
    select distinct {{ columns }} from ({{ stale }}) as s ({{ columns }})
    where {{ columns.replace(', ', ' is not null and ') }} is not null;
    set variable {{ clinic_day_due_var('clinics') }} = (select coalesce(list(distinct clinic_id), []) from {{ this }});
    {% endif -%}
    delete from {{ this }} where {{ date_column }} >= (
        select max(w.{{ date_column }}) - {{ lookback }}
        from {{ this }} w where w.clinic_id = {{ this }}.clinic_id)
    {%- if stale %}
        or ({{ columns }}) in (select {{ columns }} from {{ clinic_day_stale_table() }});
    {{ clinic_day_due_from_set(date_column, stale_columns or ['clinic_id', date_column]) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook's view of the partitions due, after its delete, as two DuckDB variables that clinic_day_due reads:
    - <prefix>wm: each clinic's watermark (its last partition still built), a MAP from clinic_id;
    - <prefix>from: the first partition a run can (re)compute: the day after the lowest watermark, or the earliest
      stale partition (-infinity when the stale list is not by day, or when the delete left a clinic without rows:
      the clinics the table held before the delete are in <prefix>clinics).
    Why variables: the obvious predicate, a correlated NOT EXISTS over the watermarks, makes DuckDB read and
    materialize the model's whole input before it filters (a dependent join), so that a run with one new day cost as
    much as the full history. A variable is a constant when the query is planned: the range predicate goes down to
    the scans and the watermark look-up is a MAP access per row. A clinic without a watermark has no bound of its
    own: its rows are found by the stale list (rows ingested after the previous run). -#}
{% macro clinic_day_due_var(name) -%}
    clinic_day_{{ name }}__{{ this.identifier }}
{%- endmacro %}

{% macro clinic_day_due_from_set(date_column, stale_columns) -%}
    {%- set wm = "getvariable('" ~ clinic_day_due_var('wm') ~ "')" -%}
    set variable {{ clinic_day_due_var('wm') }} = {{ clinic_day_watermark_map(date_column) }};
    set variable {{ clinic_day_due_var('from') }} = (select case
        -- a clinic the delete left without rows has no watermark: all its days are due
        when len(list_filter(getvariable('{{ clinic_day_due_var('clinics') }}'), lambda c: not map_contains({{ wm }}, c))) > 0
            then date '-infinity'
        else coalesce(least(
            list_min(map_values({{ wm }})) + 1,
            {%- if date_column in stale_columns %}
            (select min({{ date_column }}) from {{ clinic_day_stale_table() }})
            {%- else %}
            (select date '-infinity' from {{ clinic_day_stale_table() }} limit 1)
            {%- endif %}
        ), date '-infinity')
    end)
{%- endmacro %}

{% macro clinic_day_watermarks(date_column) -%}
    {%- if is_incremental() -%}
    select clinic_id, max({{ date_column }}) as built_through from {{ this }} group by clinic_id
    {%- else -%}
    select cast(null as varchar) as clinic_id, cast(null as date) as built_through where false
    {%- endif -%}
{%- endmacro %}

{#- The same watermarks as one MAP from clinic_id (empty on a full refresh): a constant DuckDB computes once per
    query, so that a filter `day > coalesce(map[clinic_id], date '-infinity')` applies to the rows as they are read. -#}
{% macro clinic_day_watermark_map(date_column) -%}
    (select coalesce(map(list(clinic_id), list(built_through)), map()) from ({{ clinic_day_watermarks(date_column) }}))
{%- endmacro %}

{#- The partitions a run (re)computes: after the clinic's watermark, or listed stale by the pre-hook. A predicate on
    the model's source rows, `clinic` and `day` being their clinic and partition expressions (`stale_values` their
    stale key when it is not (clinic, day), as `stale_columns` in the pre-hook); true on a full refresh. It reads the
    variables the pre-hook set (macro clinic_day_due_from_set). -#}
{% macro clinic_day_due(date_column, clinic, day, stale_values=none, stale_columns=none) -%}
    {%- if is_incremental() -%}
    {%- set columns = (stale_columns or ['clinic_id', date_column]) | join(', ') -%}
    {#- on `cast(ts as date)`, bound the timestamp itself: DuckDB then filters inside the table scan -#}
    {%- set d = day.strip() -%}
    {%- if d.lower().startswith('cast(') and d.lower().endswith(' as date)') and d.lower().count('cast(') == 1 %}
    ({{ d[5:-9] }} >= cast({{ clinic_day_due_from() }} as timestamp) and (
    {%- else %}
    ({{ day }} >= {{ clinic_day_due_from() }} and (
    {%- endif %}
     {{ day }} > coalesce(getvariable('{{ clinic_day_due_var('wm') }}')[{{ clinic }}], date '-infinity')
     or ({{ (stale_values or [clinic, day]) | join(', ') }}) in (select {{ columns }} from {{ clinic_day_stale_table() }})))
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- The first partition a run (re)computes, as a date expression (variable set by the pre-hook; -infinity on a full
    refresh): a lower bound for inputs that must be cut before a window or a join, where clinic_day_due on the
    finished rows would come too late. -#}
{% macro clinic_day_due_from() -%}
    {%- if is_incremental() -%}
    getvariable('{{ clinic_day_due_var('from') }}')
    {%- else -%}
    date '-infinity'
    {%- endif -%}
{%- endmacro %}

{#- Partitions of the rows of `relation` ingested after the newest ingest time the model has stored (its column
    `built_column`, default the same name as `ingested_column`). -#}
{% macro clinic_day_ingested_after(relation, day, ingested_column='source_ingested_at', built_column=none) -%}
    select clinic_id, {{ day }} as day from {{ relation }}
    where {{ ingested_column }} > (select coalesce(max({{ built_column or ingested_column }}), timestamp '-infinity')
                                   from {{ this }})
{%- endmacro %}

{#- A table kept beside the model, <model>__<suffix>: quoted like the model (a warehouse file may be named
    clinic-warehouse.duckdb, a catalog name that is not a bare identifier). -#}
{% macro side_table(suffix) -%}
    {{ this.incorporate(path={"identifier": this.identifier ~ "__" ~ suffix}) }}
{%- endmacro %}

{% macro clinic_day_stale_table() -%}
    {{ side_table("stale") }}
{%- endmacro %}

{% macro clinic_day_stale_drop() -%}
    {%- if is_incremental() -%}
    drop table if exists {{ clinic_day_stale_table() }}
    {%- endif -%}
{%- endmacro %}

{#- The ingest watermark of a model whose rows carry no ingest time of their own: the newest ingest time of its
    sources that the previous run saw, kept in <model>__watermark. A run saves the current one before it reads any
    data (pre-hook ingest_watermark_save, into <model>__watermark_next) and makes it the watermark once it succeeded
    (post-hook ingest_watermark_commit); rows ingested after the saved watermark are late for the next run. -#}
{% macro ingest_watermark_table(suffix='', name='watermark') -%}
    {{ side_table(name ~ suffix) }}
{%- endmacro %}

{% macro ingest_watermark(name='watermark') -%}
    (select coalesce(max(ingested_at), timestamp '-infinity') from {{ ingest_watermark_table(name=name) }})
{%- endmacro %}

{#- The newest ingest time of the rows of `models` (names of models with an ingested_at column): what a run saves
    as its watermark. -#}
{% macro newest_ingested_at(models) -%}
    (select max(ingested) from (
        {%- for model in models %}
        select max(ingested_at) as ingested from {{ ref(model) }}{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro ingest_watermark_save(newest_ingested_at, name='watermark') -%}
    create table if not exists {{ ingest_watermark_table(name=name) }} as select timestamp '-infinity' as ingested_at;
    create or replace table {{ ingest_watermark_table('_next', name) }} as
    select {{ newest_ingested_at }} as ingested_at
{%- endmacro %}

{% macro ingest_watermark_commit(name='watermark') -%}
    create or replace table {{ ingest_watermark_table(name=name) }} as
    select * from {{ ingest_watermark_table('_next', name) }};
    drop table {{ ingest_watermark_table('_next', name) }}
{%- endmacro %}

{#- The config of the models built this way: incremental, appended after the pre-hooks' deletes. -#}
{% macro clinic_day_config(pre_hook, post_hook="{{ clinic_day_stale_drop() }}") -%}
    {{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
              pre_hook=pre_hook, post_hook=post_hook) }}
{%- endmacro %}
