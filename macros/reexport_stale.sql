{#- Corrected re-exports that move a record to another day or clinic (issue 13).

    The loader keeps every version of a record: a corrected re-export makes the old version history
    (_is_current = false, _superseded_by_batch = the batch that replaced it) and loads the new one. The staging views
    show only the current versions, so a model that finds its stale partitions from them (rows ingested after its
    watermark) sees where a moved record is now, not where the table still holds it: the old partition kept the
    record and the new one added it (fct_room_occupancy: 90 duplicate procedure ids after a re-export).
    source_versions_since() gives both: the raw versions ingested after a watermark and the versions they replaced,
    so that a stale list built on it names the old partition as well as the new one. -#}

{#- The raw rows of source `name` ingested after `since` (a timestamp expression), current or not (a record corrected
    twice since then has an intermediate version whose partition the table may hold), and the versions those
    batches superseded. -#}
{% macro source_versions_since(name, since) -%}
    select * from {{ source('backoffice', name) }}
    where _ingested_at > {{ since }}
       or _superseded_by_batch in (
           select distinct _batch_id from {{ source('backoffice', name) }} where _ingested_at > {{ since }})
{%- endmacro %}

{#- Only the versions that batches ingested after `since` superseded: where a corrected record was. -#}
{% macro superseded_since(name, since) -%}
    select * from {{ source('backoffice', name) }}
    where _superseded_by_batch in (
        select distinct _batch_id from {{ source('backoffice', name) }} where _ingested_at > {{ since }})
{%- endmacro %}

{#- The performers (clinic_id, performed_by, competency_code) of the procedures and in-house tests that a re-export
    ingested after `since` corrected, as the superseded versions name them: their status, sign-off and checks were
    computed with the performance on its old day (or under its old performer). Only the superseded versions: the new
    ones are found by the competency models' own rules (int_competency_performances.ingested_at). -#}
{% macro superseded_performers(since) -%}
    select v.clinic_id, v.performed_by, c.competency_code
    from (
        select clinic_id, performed_by, 'procedure' as covered_kind, procedure_code as covered_code
        from ({{ superseded_since('procedures', since) }})
        union all
        select clinic_id, performed_by, 'test', test_code
        from ({{ superseded_since('lab_specimens', since) }})
        where performing_site = 'in_house'
    ) v
    left join {{ ref('int_competency_coverage') }} c using (covered_kind, covered_code)
    where v.performed_by is not null
{%- endmacro %}

{#- The sources of the room and throughput models (procedures, room events, exam-room stays, in-house and send-out
    tests for throughput): the newest ingest time a run saves as its watermark (macro ingest_watermark_save). -#}
{% macro room_source_ingested_at() -%}
    {{ newest_ingested_at(['stg_backoffice__procedures', 'stg_backoffice__room_events',
                           'stg_backoffice__encounters', 'stg_backoffice__lab_specimens']) }}
{%- endmacro %}

{#- The (clinic_id, local day) partitions of the room and throughput models that the versions ingested after the
    model's watermark (and those they superseded) can change:
      - a procedure: its occupancy day (first recorded time), its throughput day (patient in, start or scheduled
        start) and its encounter's visit day (exam-room minutes freed);
      - an encounter: its visit day and the days of its exam-room stay;
      - a room event: its day; a lab test: its collection day (throughput);
    each with the day before (a cleaning ended after midnight closes the day before's start) and the day after (an
    occupancy or cleaning running past midnight), and `after_days` more days after it (fct_room_occupancy: the
    prolonged-turnover baseline of the following days).
    Cost: four scans of raw columns, read only where _ingested_at is recent or _superseded_by_batch is set; on
    12 clinics x 120 days the statement takes 66 ms when one new day arrived (36 ms with nothing new). -#}
{% macro room_stale(after_days=0) -%}
    {%- set since = ingest_watermark() -%}
    with procedures as materialized (
        select clinic_id, encounter_id,
               cast(coalesce(patient_in_at_local, procedure_start_at_local, procedure_end_at_local,
                             patient_out_at_local) as date) as occupancy_day,
               cast(coalesce(patient_in_at_local, procedure_start_at_local, scheduled_start_at_local) as date)
                   as activity_day
        from ({{ source_versions_since('procedures', since) }})
    ),

    encounters as materialized (
        select clinic_id, arrived_at_local, exam_room_in_at_local, exam_room_out_at_local
        from ({{ source_versions_since('encounters', since) }})
    ),

    days as (
        select clinic_id, occupancy_day as day from procedures
        union all select clinic_id, activity_day from procedures
        union all
        select e.clinic_id, cast(e.arrived_at_local as date)
        from procedures p
        join {{ ref('stg_backoffice__encounters') }} e on e.clinic_id = p.clinic_id and e.encounter_id = p.encounter_id
        union all select clinic_id, cast(arrived_at_local as date) from encounters
        union all select clinic_id, cast(exam_room_in_at_local as date) from encounters
        union all select clinic_id, cast(exam_room_out_at_local as date) from encounters
        union all
        select clinic_id, cast(occurred_at_local as date) from ({{ source_versions_since('room_events', since) }})
        union all
        select clinic_id, cast(collected_at_local as date) from ({{ source_versions_since('lab_specimens', since) }})
    )

    select distinct clinic_id, day + cast(n as integer)
    from (select distinct clinic_id, day from days where day is not null), range(-1, {{ after_days + 2 }}) r(n)
{%- endmacro %}

{#- The config of an incremental room or throughput model partitioned by clinic and `date_column`: the look-back of
    var room_throughput_lookback_days, and the partitions of room_stale(after_days) recomputed as well. -#}
{% macro room_day_config(date_column, after_days=0) -%}
    {{ clinic_day_config(
        ["{{ ingest_watermark_save(room_source_ingested_at()) }}",
         "{{ clinic_day_lookback_delete('" ~ date_column ~ "', none, room_stale(" ~ after_days ~ ")) }}"],
        post_hook=["{{ clinic_day_stale_drop() }}", "{{ ingest_watermark_commit() }}"]) }}
{%- endmacro %}
