{#- Incremental competency and certification status (macro clinic_day_lookback_delete).

    int_competency_status_daily and int_certification_status_daily add each clinic's new days for every staff member
    x competency (certification), and recompute every day of the pairs (staff members) whose history changed. Status
    on day d depends on data up to d, except the pair's own columns (sign-off day, supervised performances logged in
    total) and the staff record. So a pair's days are all recomputed when, since the previous run: its sign-off row
    changed, the staff member's record changed, an assessment completed on a day already built (or an earlier one
    changed), a test or procedure of a day already built was ingested (late or corrected), a certificate changed, the
    pair is new, or the clinic's calendar now starts earlier. The comparisons are with copies of those inputs the
    previous run kept beside the table (macros state_*), the late records with its ingest watermark. Every row a run
    writes carries that run's start (_built_at).

    The marts built from them (fct_competency_status_daily, fct_certification_status_daily, fct_competency_checks,
    fct_competency_exceptions) recompute the keys of the rows rebuilt for days they already hold, found by _built_at
    (macro competency_mart_pre_hooks). Each model's last day is recomputed anyway (look-back 0), so changes of that
    day make nothing else stale. -#}

{% macro state_table(name, suffix='') -%}
    {{ side_table(name ~ suffix) }}
{%- endmacro %}

{#- Keys of the rows in which the copy saved by this run differs from the previous run's. -#}
{% macro state_changes(name, key) -%}
    select {{ key }} from (from {{ state_table(name, '_next') }} except from {{ state_table(name) }})
    union
    select {{ key }} from (from {{ state_table(name) }} except from {{ state_table(name, '_next') }})
{%- endmacro %}

{#- Pre-hook, every run: keep an empty copy when there is none yet (everything counts as changed), then save the
    current rows; post-hook: they become the copies the next run compares with. -#}
{% macro state_save_all(states) -%}
    {%- for name, sql in states.items() %}
    create table if not exists {{ state_table(name) }} as select * from ({{ sql }}) where false;
    create or replace table {{ state_table(name, '_next') }} as {{ sql }};
    {%- endfor %}
    select 1
{%- endmacro %}

{% macro state_commit_all(states) -%}
    {%- for name in states %}
    create or replace table {{ state_table(name) }} as from {{ state_table(name, '_next') }};
    drop table {{ state_table(name, '_next') }};
    {%- endfor %}
    select 1
{%- endmacro %}

{% macro competency_states(kind) -%}
    {%- set states = {
        'staff': "select clinic_id, staff_id, display_name, role, started_on, ended_on, supervisor_id from "
                 ~ ref('stg_backoffice__staff'),
        'calendar': "select clinic_id, min(status_date) as first_day from " ~ ref('int_competency_calendar')
                    ~ " group by all",
    } -%}
    {%- if kind == 'competency' -%}
    {%- do states.update({
        'signoffs': "select clinic_id, staff_id, competency_code, supervised_performances_needed, "
                    ~ "supervised_performances_logged, signed_off_on from " ~ ref('int_competency_procedure_signoffs'),
        'events': "select clinic_id, staff_id, competency_code, competency_kind, completed_on, next_due_on from "
                  ~ ref('int_competency_assessment_events'),
        'pairs': "select distinct clinic_id, staff_id, competency_code from (" ~ competency_pairs() ~ ")",
    }) -%}
    {%- else -%}
    {%- do states.update({
        'certificates': "select staff_id, certification_code, issued_on, expires_on from "
                        ~ ref('stg_backoffice__certifications'),
    }) -%}
    {%- endif -%}
    {{ return(states) }}
{%- endmacro %}

{#- Every pair the status is reported for: staff with an assessment of a catalog competency, a performance needing
    one, or a sign-off (int_competency_status_daily). -#}
{% macro competency_pairs() -%}
    select distinct s.clinic_id, a.staff_id, a.competency_code
    from {{ ref('stg_backoffice__competency_assessments') }} a
    join {{ ref('stg_backoffice__staff') }} s using (staff_id)
    join {{ ref('competency_catalog') }} c using (competency_code)
    union
    select clinic_id, performed_by, competency_code
    from {{ ref('int_competency_performances') }}
    where competency_code is not null
    union
    select clinic_id, staff_id, competency_code from {{ ref('int_competency_procedure_signoffs') }}
{%- endmacro %}

{#- int_competency_status_daily: the pairs (clinic_id, staff_id, competency_code) whose days are all recomputed. -#}
{% macro competency_stale() -%}
    with built as (
        select clinic_id, max(status_date) as built_through from {{ this }} group by all
    ),

    changed_staff as (
        {{ state_changes('staff', 'clinic_id, staff_id') }}
        union
        select clinic_id, staff_id from {{ state_table('pairs', '_next') }}
        where clinic_id in ({{ state_changes('calendar', 'clinic_id') }})
    )

    {{ state_changes('signoffs', 'clinic_id, staff_id, competency_code') }}
    union
    {{ state_changes('pairs', 'clinic_id, staff_id, competency_code') }}
    union
    select e.clinic_id, e.staff_id, e.competency_code
    from ({{ state_changes('events', 'clinic_id, staff_id, competency_code, completed_on') }}) e
    join built b on b.clinic_id = e.clinic_id and e.completed_on < b.built_through
    union
    select p.clinic_id, p.performed_by, p.competency_code
    from {{ ref('int_competency_performances') }} p
    join built b on b.clinic_id = p.clinic_id and p.performed_on < b.built_through
    where p.ingested_at > {{ ingest_watermark() }} and p.competency_code is not null
    union
    select clinic_id, performed_by, competency_code from ({{ superseded_performers(ingest_watermark()) }})
    where competency_code is not null
    union
    select p.clinic_id, p.staff_id, p.competency_code
    from {{ state_table('pairs', '_next') }} p
    join changed_staff using (clinic_id, staff_id)
{%- endmacro %}

{#- int_certification_status_daily: the staff members (clinic_id, staff_id) whose days are all recomputed. -#}
{% macro certification_stale() -%}
    {{ state_changes('staff', 'clinic_id, staff_id') }}
    union
    select s.clinic_id, c.staff_id
    from ({{ state_changes('certificates', 'staff_id') }}) c
    join {{ ref('stg_backoffice__staff') }} s using (staff_id)
    union
    select clinic_id, staff_id from {{ ref('stg_backoffice__staff') }}
    where clinic_id in ({{ state_changes('calendar', 'clinic_id') }})
{%- endmacro %}

{#- The start of this dbt run: the _built_at of every row it writes to the two status tables. -#}
{% macro competency_built_at() -%}
    timestamp '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
{%- endmacro %}

{#- Hooks of int_competency_status_daily (`kind` competency) and int_certification_status_daily (certification). -#}
{% macro competency_pre_hooks(kind) -%}
    {%- set key = ['clinic_id', 'staff_id'] + (['competency_code'] if kind == 'competency' else []) -%}
    {%- if kind == 'competency' %}
    {{ ingest_watermark_save(newest_ingested_at(['int_competency_performances'])) }};
    {%- endif %}
    {{ state_save_all(competency_states(kind)) }};
    {{ clinic_day_lookback_delete('status_date', 0, competency_stale() if kind == 'competency'
                                                    else certification_stale(), key) }}
{%- endmacro %}

{% macro competency_post_hooks(kind) -%}
    {{ clinic_day_stale_drop() }}{{ ';' if is_incremental() }}
    {{ state_commit_all(competency_states(kind)) }}
    {%- if kind == 'competency' %};
    {{ ingest_watermark_commit() }}
    {%- endif %}
{%- endmacro %}

{#- Hooks of the marts: `sources` the status tables they read; a run recomputes the new days and the staff members
    (`key` clinic_id, staff column[, competency_code]) with rows of `sources` rebuilt for days the mart already holds
    (`date_column`), and those the sources no longer have (keyed by staff_id); `performances`: also those with a test
    or procedure of such a day ingested since the previous run (a performance needing no competency has no status row
    that would show it), and the performers a corrected re-export took a performance from. -#}
{% macro competency_mart_pre_hooks(sources, date_column, key, performances=false) -%}
    {%- set newest -%}
        greatest({% for s in sources %}(select max(_built_at) from {{ ref(s) }}){{ ', ' if not loop.last }}{% endfor %})
    {%- endset -%}
    {%- set stale -%}
        with built as (select clinic_id, max({{ date_column }}) as built_through from {{ this }} group by all)
        {%- for s in sources %}
        select r.clinic_id, r.staff_id{{ ', r.competency_code' if 'competency_code' in key }}
        from {{ ref(s) }} r join built b on b.clinic_id = r.clinic_id and r.status_date < b.built_through
        where r._built_at > {{ ingest_watermark(name='built') }}
        {{ 'union' if not loop.last }}
        {%- endfor %}
        {%- if performances %}
        union
        select p.clinic_id, p.performed_by
        from {{ ref('int_competency_performances') }} p
        join built b on b.clinic_id = p.clinic_id and p.performed_on < b.built_through
        where p.ingested_at > {{ ingest_watermark() }}
        union
        select clinic_id, performed_by from ({{ superseded_performers(ingest_watermark()) }})
        {%- endif %}
        {%- if key[1] == 'staff_id' %}
        union
        -- staff members (pairs) the sources no longer have at all (a re-export took their last performance)
        (select distinct {{ key | join(', ') }} from {{ this }}
         except
         {%- for s in sources %}
         select {{ key | join(', ') }} from {{ ref(s) }}{{ ' union' if not loop.last }}
         {%- endfor %})
        {%- endif %}
    {%- endset -%}
    {{ ingest_watermark_save(newest, 'built') }};
    {%- if performances %}
    {{ ingest_watermark_save(newest_ingested_at(['int_competency_performances'])) }};
    {%- endif %}
    {{ clinic_day_lookback_delete(date_column, 0, stale, key) or 'select 1' }}
{%- endmacro %}

{% macro competency_mart_post_hooks(performances=false) -%}
    {{ clinic_day_stale_drop() }}{{ ';' if is_incremental() }}
    {{ ingest_watermark_commit('built') }}
    {%- if performances %};
    {{ ingest_watermark_commit() }}
    {%- endif %}
{%- endmacro %}

{#- int_competency_practice_events, incremental by pair (clinic_id, staff_id, competency_code): the pairs whose sign-off
    or later sign-off assessments changed since the previous run (copies kept beside the table, macros state_*), the
    pairs with a procedure ingested after its watermark and the pairs a corrected re-export took a procedure from
    (macro superseded_performers: another day or another performer), and every pair of a clinic whose procedure
    records now begin earlier (the lapse clock starts there). The pre-hook lists them in <model>__pairs_due and
    deletes their rows; the model recomputes their whole history. -#}
{% macro practice_states() -%}
    {{ return({
        'signoffs': "select clinic_id, staff_id, competency_code, signed_off_on from "
                    ~ ref('int_competency_procedure_signoffs') ~ " where signed_off_on is not null",
        'events': "select clinic_id, staff_id, competency_code, completed_on from "
                  ~ ref('int_competency_assessment_events') ~ " where competency_kind = 'procedure'",
        'records_begin': "select clinic_id, min(performed_on) as records_begin_on from "
                         ~ ref('int_competency_performances') ~ " where performance_type = 'procedure' group by all",
    }) }}
{%- endmacro %}

{% macro practice_pairs_table() -%}
    {{ state_table('pairs_due') }}
{%- endmacro %}

{% macro practice_pre_hooks() -%}
    {#- rendered outside the is_incremental() block, so that dbt sees its ref when it parses the project -#}
    {%- set moved = superseded_performers(ingest_watermark()) -%}
    {{ ingest_watermark_save(newest_ingested_at(['int_competency_performances'])) }};
    {{ state_save_all(practice_states()) }}
    {%- if is_incremental() %};
    create or replace table {{ practice_pairs_table() }} as
    {{ state_changes('signoffs', 'clinic_id, staff_id, competency_code') }}
    union
    {{ state_changes('events', 'clinic_id, staff_id, competency_code') }}
    union
    select clinic_id, performed_by, competency_code from {{ ref('int_competency_performances') }}
    where ingested_at > {{ ingest_watermark() }} and performance_type = 'procedure' and competency_code is not null
    union
    select clinic_id, performed_by, competency_code from ({{ moved }})
    where competency_code is not null
    union
    select t.clinic_id, t.staff_id, t.competency_code from {{ this }} t
    where t.clinic_id in ({{ state_changes('records_begin', 'clinic_id') }});
    delete from {{ this }} t
    where exists (select 1 from {{ practice_pairs_table() }} d
                  where d.clinic_id = t.clinic_id and d.staff_id = t.staff_id and d.competency_code = t.competency_code)
    {%- endif %}
{%- endmacro %}

{% macro practice_post_hooks() -%}
    {%- if is_incremental() %}
    drop table if exists {{ practice_pairs_table() }};
    {%- endif %}
    {{ state_commit_all(practice_states()) }};
    {{ ingest_watermark_commit() }}
{%- endmacro %}
