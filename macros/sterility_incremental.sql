{#- Incremental fct_sterility_checks (macro clinic_day_lookback_delete, partitioned by clinic and check_date).

    sterility_source_ingested_at(): the newest ingest time of any source row of the checks (the watermark a run
    saves, macro ingest_watermark_save).

    sterility_stale(): the check days that rows ingested after the previous run's watermark can change, beyond the
    look-back
    (var sterility_lookback_days, which covers the rules that look at later days: the weekly BI period still open,
    the room's next use before a terminal clean):
      - a sterilizer cycle: its day and the Monday of its week (BI period), and the days of the procedures that used
        the load (critical-item trace);
      - a procedure: its day, the day before (terminal clean before the next use), and the day of the device's next
        use (HLD between uses);
      - an encounter: the days of its procedures (patients' rights) and of its exam-room use, and the day before;
      - a room event or an in-house lab result: its day and the day(s) before, back to the terminal-clean grace;
      - a disinfection cycle: the day of the device's next use after it;
      - and the days the table holds for the loads and procedures of those rows (a corrected record may move).
    "Rows ingested after the watermark" are the raw versions of macro source_versions_since: the new versions and
    those they superseded, so that a record a corrected re-export moved has its old days recomputed too. -#}

{% macro sterility_sources() -%}
    {{ return(['stg_backoffice__sterilizer_cycles', 'stg_backoffice__procedures', 'stg_backoffice__encounters',
               'stg_backoffice__room_events', 'stg_backoffice__disinfection_cycles',
               'stg_backoffice__lab_specimens']) }}
{%- endmacro %}

{% macro sterility_source_ingested_at() -%}
    {{ newest_ingested_at(sterility_sources()) }}
{%- endmacro %}

{% macro sterility_stale() -%}
    {%- set before = (var('terminal_clean_grace_hours') // 24) + 1 -%}
    {%- set back -%}
    (values {% for n in range(before + 1) %}({{ n }}){{ ', ' if not loop.last }}{% endfor %}) as back (d)
    {%- endset -%}
    with built as (
        select {{ ingest_watermark() }} as built_at
    ),

    cycles as (
        select clinic_id, load_id, cast(started_at_local as date) as day
        from ({{ source_versions_since('sterilizer_cycles', '(select built_at from built)') }})
    ),

    encounters as (
        select clinic_id, encounter_id, cast(exam_room_in_at_local as date) as day
        from ({{ source_versions_since('encounters', '(select built_at from built)') }})
    ),

    procedures as (
        select clinic_id, procedure_id, device_id, sterilizer_load_id, encounter_id,
               coalesce(procedure_start_at, patient_in_at) as used_at,
               cast(coalesce(procedure_start_at_local, patient_in_at_local) as date) as day,
               cast(patient_in_at_local as date) as in_day
        from {{ ref('stg_backoffice__procedures') }}
        where status in ('completed', 'aborted')
    ),

    -- every status: a procedure now cancelled leaves the checks of the day it had
    procedure_versions as (
        select clinic_id, procedure_id, device_id, sterilizer_load_id, encounter_id,
               coalesce(procedure_start_at, patient_in_at) as used_at,
               cast(coalesce(procedure_start_at_local, patient_in_at_local) as date) as day,
               cast(patient_in_at_local as date) as in_day
        from ({{ source_versions_since('procedures', '(select built_at from built)') }})
    ),

    late_procedures as (
        -- joins with the few late rows, not `(clinic_id, load_id) in (...)`: DuckDB plans that as a mark join over
        -- every row of the history
        select * from procedure_versions
        union
        select p.* from cycles c join procedures p on p.clinic_id = c.clinic_id and p.sterilizer_load_id = c.load_id
        union
        select p.* from encounters e join procedures p on p.clinic_id = e.clinic_id and p.encounter_id = e.encounter_id
    ),

    device_events as (
        -- a late procedure with a device, or a late disinfection cycle: the device's next use after it
        select clinic_id, device_id, used_at as event_at from late_procedures where device_id is not null
        union all
        select clinic_id, device_id, started_at
        from ({{ source_versions_since('disinfection_cycles', '(select built_at from built)') }})
    ),

    next_uses as (
        select u.clinic_id, u.day
        from device_events e
        asof join (select * from procedures where device_id is not null) u
            on u.clinic_id = e.clinic_id and u.device_id = e.device_id and u.used_at > e.event_at
    ),

    days as (
        select clinic_id, day from cycles
        union all select clinic_id, cast(date_trunc('week', day) as date) from cycles
        union all select clinic_id, day from late_procedures
        union all select clinic_id, in_day - d from late_procedures, {{ back }}
        union all select clinic_id, day - d from encounters, {{ back }}
        union all select clinic_id, day from next_uses
        union all
        select clinic_id, cast(occurred_at_local as date) - d
        from ({{ source_versions_since('room_events', '(select built_at from built)') }}), {{ back }}
        union all
        select clinic_id, cast(collected_at_local as date) - d
        from ({{ source_versions_since('lab_specimens', '(select built_at from built)') }}), {{ back }}
        where performing_site = 'in_house'
        union all
        select t.clinic_id, t.check_date from cycles c join {{ this }} t on t.clinic_id = c.clinic_id and t.load_id = c.load_id
        union all
        select t.clinic_id, t.check_date
        from late_procedures p join {{ this }} t on t.clinic_id = p.clinic_id and t.procedure_id = p.procedure_id
    )

    select clinic_id, day from days
    union all
    select clinic_id, cast(date_trunc('week', day) as date) from days
{%- endmacro %}
