{#- Incremental competency and certification status (macro clinic_day_lookback_delete): a run adds the new days of
    every staff member x competency (certification), and recomputes every day of the pairs whose history changed.

    Status on day d depends on data up to d, except the pair's own columns (sign-off day, supervised performances
    logged in total) and the staff record. So a pair's days are recomputed in full when, since the previous run:
    its sign-off row changed (`counts`: also the number logged), the staff member's record changed, an assessment
    completed on a day already built (or an earlier one changed), a test or procedure of a day already built was
    ingested (late or corrected), a certificate changed, the pair is new, or the clinic's calendar now starts earlier.
    The comparisons are with copies the previous run kept beside the table (macros state_*), the late records with its
    ingest watermark. -#}

{#- Keys of the rows in which `sql` (a query) differs from the copy the previous run saved as <model>__<name>. -#}
{% macro state_changes(name, sql, key) -%}
    select {{ key }} from (({{ sql }}) except ({{ state_saved(name) }}))
    union
    select {{ key }} from (({{ state_saved(name) }}) except ({{ sql }}))
{%- endmacro %}

{% macro state_table(name, suffix='') -%}
    {{ this.database }}.{{ this.schema }}."{{ this.identifier }}__{{ name }}{{ suffix }}"
{%- endmacro %}

{% macro state_saved(name) -%}
    select * from {{ state_table(name) }}
{%- endmacro %}

{#- Pre-hook, every run: keep an empty copy when there is none yet (everything counts as changed), then save the
    current rows; post-hook: they become the copy the next run compares with. -#}
{% macro state_save(name, sql) -%}
    create table if not exists {{ state_table(name) }} as select * from ({{ sql }}) where false;
    create or replace table {{ state_table(name, '_next') }} as {{ sql }}
{%- endmacro %}

{% macro state_commit(name) -%}
    create or replace table {{ state_table(name) }} as select * from {{ state_table(name, '_next') }};
    drop table {{ state_table(name, '_next') }}
{%- endmacro %}

{% macro competency_states(counts=true) -%}
    {%- set logged = ', supervised_performances_logged' if counts else '' -%}
    {{ return({
        'signoffs': "select clinic_id, staff_id, competency_code, supervised_performances_needed" ~ logged
                    ~ ", signed_off_on from " ~ ref('int_competency_procedure_signoffs'),
        'staff': "select clinic_id, staff_id, display_name, role, started_on, ended_on, supervisor_id from "
                 ~ ref('stg_backoffice__staff'),
        'events': "select clinic_id, staff_id, competency_code, competency_kind, completed_on, next_due_on from "
                  ~ ref('int_competency_assessment_events'),
        'pairs': "select distinct clinic_id, staff_id, competency_code from (" ~ competency_pairs() ~ ")",
        'calendar': "select clinic_id, min(status_date) as first_day from " ~ ref('int_competency_calendar')
                    ~ " group by all",
    }) }}
{%- endmacro %}

{% macro certification_states() -%}
    {{ return({
        'staff': "select clinic_id, staff_id, display_name, role, started_on, ended_on, supervisor_id from "
                 ~ ref('stg_backoffice__staff'),
        'certificates': "select staff_id, certification_code, issued_on, expires_on from "
                        ~ ref('stg_backoffice__certifications'),
        'calendar': "select clinic_id, min(status_date) as first_day from " ~ ref('int_competency_calendar')
                    ~ " group by all",
    }) }}
{%- endmacro %}

{#- Hooks: save the current copies of `states` (pre-hook, every run) and make them the copies the next run compares
    with (post-hook). -#}
{% macro state_save_all(states) -%}
    {%- for name, sql in states.items() %}
    {{ state_save(name, sql) }};
    {%- endfor %}
    select 1
{%- endmacro %}

{% macro state_commit_all(states) -%}
    {%- for name in states %}
    {{ state_commit(name) }};
    {%- endfor %}
    select 1
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

{#- The pairs (clinic_id, staff_id, competency_code) whose days must all be recomputed; `by_staff`: the staff
    members (clinic_id, staff_id) instead. -#}
{% macro competency_stale(counts=true, by_staff=false, date_column='status_date') -%}
    {%- set states = competency_states(counts) -%}
    with built as (
        select clinic_id, max({{ date_column }}) as built_through from {{ this }} group by all
    ),

    changed as (
        {{ state_changes('signoffs', states['signoffs'], 'clinic_id, staff_id, competency_code') }}
        union
        select e.clinic_id, e.staff_id, e.competency_code
        from ({{ state_changes('events', states['events'], 'clinic_id, staff_id, competency_code, completed_on') }}) e
        join built b on b.clinic_id = e.clinic_id and e.completed_on <= b.built_through
        union
        {{ state_changes('pairs', states['pairs'], 'clinic_id, staff_id, competency_code') }}
        union
        select p.clinic_id, p.performed_by, p.competency_code
        from {{ ref('int_competency_performances') }} p
        join built b on b.clinic_id = p.clinic_id and p.performed_on <= b.built_through
        where p.ingested_at > {{ ingest_watermark() }} and p.competency_code is not null
    ),

    changed_staff as (
        {{ state_changes('staff', states['staff'], 'clinic_id, staff_id') }}
        union
        select p.clinic_id, p.staff_id
        from ({{ competency_pairs() }}) p
        where p.clinic_id in ({{ state_changes('calendar', states['calendar'], 'clinic_id') }})
    )

    {% if by_staff -%}
    select clinic_id, staff_id from changed
    union
    select clinic_id, staff_id from changed_staff
    {%- else -%}
    select clinic_id, staff_id, competency_code from changed
    union
    select p.clinic_id, p.staff_id, p.competency_code
    from ({{ competency_pairs() }}) p
    join changed_staff using (clinic_id, staff_id)
    {%- endif %}
{%- endmacro %}

{#- The staff members (clinic_id, staff_id) whose certification status must be recomputed for all days: their
    record or a certificate of theirs changed, or the clinic's calendar now starts earlier. -#}
{% macro certification_stale() -%}
    {%- set states = certification_states() -%}
    {{ state_changes('staff', states['staff'], 'clinic_id, staff_id') }}
    union
    select s.clinic_id, c.staff_id
    from ({{ state_changes('certificates', states['certificates'], 'staff_id') }}) c
    join {{ ref('stg_backoffice__staff') }} s using (staff_id)
    union
    select clinic_id, staff_id from {{ ref('stg_backoffice__staff') }}
    where clinic_id in ({{ state_changes('calendar', states['calendar'], 'clinic_id') }})
{%- endmacro %}

{#- The hooks of the incremental status and check models: `kind` competency (pairs), certification (staff) or checks
    (staff, both). -#}
{% macro competency_model_states(kind) -%}
    {%- if kind == 'competency' -%}
    {{ return(competency_states()) }}
    {%- elif kind == 'certification' -%}
    {{ return(certification_states()) }}
    {%- else -%}
    {%- set states = {} -%}
    {%- for name, sql in competency_states(counts=false).items() %}{% do states.update({name: sql}) %}{% endfor -%}
    {%- do states.update({'certificates': certification_states()['certificates']}) -%}
    {{ return(states) }}
    {%- endif -%}
{%- endmacro %}

{% macro competency_pre_hooks(kind, date_column, staff_column='staff_id') -%}
    {%- set key = ['clinic_id', staff_column] + (['competency_code'] if kind == 'competency' else []) -%}
    {%- if kind == 'competency' -%}
        {%- set stale = competency_stale(date_column=date_column) -%}
    {%- elif kind == 'certification' -%}
        {%- set stale = certification_stale() -%}
    {%- else -%}
        {%- set stale = competency_stale(counts=false, by_staff=true, date_column=date_column)
                        ~ ' union ' ~ certification_stale() -%}
    {%- endif -%}
    {%- if kind != 'certification' %}
    {{ ingest_watermark_save('(select max(ingested_at) from ' ~ ref('int_competency_performances') ~ ')') }};
    {%- endif %}
    {{ state_save_all(competency_model_states(kind)) }};
    {{ clinic_day_lookback_delete(date_column, 0, stale, key) }}
{%- endmacro %}

{% macro competency_post_hooks(kind) -%}
    {{ clinic_day_stale_drop() }}{{ ';' if is_incremental() }}
    {{ state_commit_all(competency_model_states(kind)) }}
    {%- if kind != 'certification' %};
    {{ ingest_watermark_commit() }}
    {%- endif %}
{%- endmacro %}

{#- `-- depends_on` lines for the relations the hooks of `kind` read (a model's refs must be known when it is parsed). -#}
{% macro competency_hook_refs(kind) -%}
    {%- set names = ['stg_backoffice__staff', 'int_competency_calendar'] -%}
    {%- if kind != 'certification' -%}
        {%- set names = names + ['int_competency_performances', 'int_competency_procedure_signoffs',
                                 'int_competency_assessment_events', 'stg_backoffice__competency_assessments',
                                 'competency_catalog'] -%}
    {%- endif -%}
    {%- if kind != 'competency' -%}
        {%- set names = names + ['stg_backoffice__certifications'] -%}
    {%- endif -%}
    {%- for name in names %}
-- depends_on: {{ ref(name) }}
    {%- endfor %}
{%- endmacro %}
