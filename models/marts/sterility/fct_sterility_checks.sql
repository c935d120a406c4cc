-- Every sterility, reprocessing, cleaning and patients'-rights rule evaluated on every subject it applies to: one row
-- per rule x subject (a load, a sterilizer-period, a sterilizer-day, a procedure, a room turnover, a room-day).
-- Subjects that cannot be judged from the export (a week cut by its start or end without a BI; a device's first
-- recorded use without an earlier cycle) are left out. is_compliant = false rows are the exceptions.
-- Incremental by clinic and check_date (macro clinic_day_lookback_delete): a run recomputes each clinic's last
-- var sterility_lookback_days days, the days after them, and the days that rows ingested after the previous run's
-- ingest watermark can change (macro sterility_stale: late BI results, corrected records). Not caught: a sterilizer
-- that runs its first pre-vacuum cycle in a new day becomes pre-vacuum for its earlier days too (Bowie-Dick rule),
-- and a changed seed, var or model: those need --full-refresh.
{{ clinic_day_config(["{{ ingest_watermark_save(sterility_source_ingested_at()) }}",
              "{{ clinic_day_lookback_delete('check_date', var('sterility_lookback_days'), sterility_stale()) }}"],
                    post_hook=["{{ clinic_day_stale_drop() }}", "{{ ingest_watermark_commit() }}"]) }}
{%- for source in sterility_sources() %}
-- depends_on: {{ ref(source) }}
{%- endfor %}
-- depends_on: {{ ref('int_sterility_room_days') }}

with loads as (
    select * from {{ ref('int_sterility_loads') }} where is_load
),

checks as (
    select clinic_id, 'load_record_complete' as rule_code, 'load' as subject_type, load_id as subject_id,
           cycle_date as check_date, sterilizer_id, load_id, null as room_id, null as device_id,
           null as procedure_id, null as patient_id, is_record_complete as is_compliant,
           case when not is_record_complete then 'incomplete_record' end as reason,
           case when not is_record_complete then 'missing: ' || array_to_string(missing_fields, ', ') end as detail
    from loads

    union all
    select clinic_id, 'release_indicators_passed', 'load', load_id, cycle_date, sterilizer_id, load_id, null, null,
           null, null, not is_released_with_failed_indicator,
           case
               when not is_released_with_failed_indicator then null
               when physical_pass is null then 'released_with_missing_physical_result'
               when not physical_ok then 'released_with_failed_physical_result'
               when ci_result is null or ci_result = 'not_used' then 'released_with_missing_chemical_indicator'
               else 'released_with_failed_chemical_indicator'
           end,
           case when is_released_with_failed_indicator
               then 'physical_pass=' || coalesce(cast(physical_pass as varchar), 'missing')
                    || ', ci_result=' || coalesce(ci_result, 'missing')
                    || ', released ' || strftime(released_at_local, '%Y-%m-%d %H:%M') end
    from loads
    where is_released

    union all
    select clinic_id, 'bi_routine_monitoring', 'sterilizer_period', sterilizer_id || ' ' || frequency || ' from '
           || strftime(period_start, '%Y-%m-%d'), period_start, sterilizer_id, null, null, null, null, null, has_bi,
           case when not has_bi then 'no_bi_in_period' end,
           case when not has_bi then loads || ' loads ' || strftime(period_start, '%Y-%m-%d') || ' to '
                || strftime(period_end, '%Y-%m-%d') || ', none with a BI' end
    from {{ ref('int_sterility_bi_periods') }}
    where is_assessable

    union all
    select clinic_id, 'bi_negative', 'load', load_id, cycle_date, sterilizer_id, load_id, null, null, null, null,
           bi_result = 'negative',
           case when bi_result = 'positive' then 'bi_positive' end,
           case when bi_result = 'positive'
               then 'BI lot ' || coalesce(bi_lot, '?') || ' read positive '
                    || coalesce(strftime(bi_read_at_local, '%Y-%m-%d %H:%M'), '(time not recorded)') end
    from {{ ref('int_sterility_loads') }}
    where bi_result in ('negative', 'positive')

    union all
    select clinic_id, 'implant_bi_release', 'load', load_id, cycle_date, sterilizer_id, load_id, null, null, null, null,
           is_implant_release_ok,
           case
               when is_implant_release_ok then null
               when not has_bi then 'implant_load_without_bi'
               else 'implant_released_before_negative_bi'
           end,
           case when not is_implant_release_ok
               then 'released ' || coalesce(strftime(released_at_local, '%Y-%m-%d %H:%M'), '-')
                    || ', BI ' || coalesce(bi_result, 'missing') || ' read '
                    || coalesce(strftime(bi_read_at_local, '%Y-%m-%d %H:%M'), '(not yet)') end
    from loads
    where is_implant_load

    union all
    select clinic_id, 'bowie_dick_daily', 'sterilizer_day', sterilizer_id || ' ' || strftime(cycle_date, '%Y-%m-%d'),
           cycle_date, sterilizer_id, first_load_id, null, null, null, null, is_compliant, reason,
           case when not is_compliant then loads || ' loads; first load ' || first_load_id end
    from {{ ref('int_sterility_bowie_dick_days') }}

    union all
    select clinic_id, 'critical_item_traced', 'procedure', procedure_id, procedure_date, sterilizer_id,
           sterilizer_load_id, room_id, null, procedure_id, patient_id, reason is null, reason,
           case when reason is not null then procedure_code || ' with load ' || coalesce(sterilizer_load_id, '(none)') end
    from {{ ref('int_sterility_critical_uses') }}

    union all
    select clinic_id, 'hld_between_uses', 'procedure', procedure_id, procedure_date, null, null, room_id, device_id,
           procedure_id, patient_id, reason is null, reason,
           case when reason is not null
               then procedure_code || ' with device ' || coalesce(device_id, '(none)')
                    || coalesce('; previous use ' || previous_procedure_id, '')
                    || coalesce('; cycle ' || cycle_id || ' (' || method || ', '
                                || coalesce(cast(exposure_minutes as varchar), '?') || ' min, '
                                || coalesce(cast(temperature_c as varchar), '?') || ' C, MEC '
                                || coalesce(cast(mec_test_pass as varchar), 'not recorded') || ')', '') end
    from {{ ref('int_sterility_device_uses') }}
    where is_assessable

    union all
    select clinic_id, 'cleaning_between_patients', 'room_turnover', procedure_id || ' -> ' || next_procedure_id,
           occupancy_date, null, null, room_id, null, next_procedure_id, next_patient_id, is_compliant,
           case when not is_compliant then 'no_cleaning_logged' end,
           case when not is_compliant then 'no cleaning event between ' || procedure_id || ' and ' || next_procedure_id end
    from {{ ref('int_sterility_room_turnovers') }}

    union all
    select clinic_id, 'terminal_clean_daily', 'room_day', room_id || ' ' || strftime(use_date, '%Y-%m-%d'),
           use_date, null, null, room_id, null, null, null, is_compliant,
           case when not is_compliant then 'no_terminal_clean_logged' end,
           case when not is_compliant then uses || ' uses; none logged after the last one ended' end
    -- int_sterility_room_days, on the days due only (macro sterility_room_days)
    from ({{ sterility_room_days(clinic_day_due_from()) }})

    union all
    select clinic_id, 'chaperone_present', 'procedure', procedure_id, procedure_date, null, null, room_id, null,
           procedure_id, patient_id, chaperone_present is true,
           case
               when chaperone_present is null then 'chaperone_not_documented'
               when not chaperone_present then 'chaperone_absent'
           end,
           case when chaperone_present is not true then procedure_code || ' in encounter ' || encounter_id end
    from {{ ref('int_sterility_patient_rights') }}
    where chaperone_requested

    union all
    select clinic_id, 'interpreter_present', 'procedure', procedure_id, procedure_date, null, null, room_id, null,
           procedure_id, patient_id, interpreter_present is true,
           case
               when interpreter_present is null then 'interpreter_not_documented'
               when not interpreter_present then 'interpreter_absent'
           end,
           case when interpreter_present is not true then procedure_code || ' in encounter ' || encounter_id end
    from {{ ref('int_sterility_patient_rights') }}
    where interpreter_requested
)

select
    c.clinic_id,
    c.rule_code,
    r.rule_domain,
    c.subject_type,
    c.subject_id,
    c.check_date,
    cast(date_trunc('week', c.check_date) as date) as week_start,
    cast(c.sterilizer_id as varchar) as sterilizer_id,
    cast(c.load_id as varchar) as load_id,
    cast(c.room_id as varchar) as room_id,
    cast(c.device_id as varchar) as device_id,
    cast(c.procedure_id as varchar) as procedure_id,
    cast(c.patient_id as varchar) as patient_id,
    c.is_compliant,
    c.reason,
    c.detail
from checks c
join {{ ref('dim_compliance_rules') }} r using (rule_code)
where {{ clinic_day_due('check_date', 'c.clinic_id', 'c.check_date') }}
