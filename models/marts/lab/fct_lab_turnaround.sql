-- Lab turnaround per specimen x test: the intervals, the clinic's target for the test and priority, and whether
-- a rapid result came back before the patient left (the reason the back office tests in house).
-- Incremental by clinic and collection day (macro clinic_day_lookback_delete): a run recomputes each clinic's last
-- var lab_incremental_lookback_days days, the days after them, and every day with a lab row or an encounter ingested
-- after the previous run's ingest watermark (late results, corrected re-exports; macros lab_source_ingested_at and
-- lab_turnaround_stale).
-- A row depends only on its own specimen row, its encounter and the catalog: a changed seed needs --full-refresh.
{{ clinic_day_config(["{{ ingest_watermark_save(lab_source_ingested_at()) }}",
                      "{{ clinic_day_lookback_delete('collected_date', var('lab_incremental_lookback_days'),
                                           lab_turnaround_stale()) }}"],
                     post_hook=["{{ clinic_day_stale_drop() }}", "{{ ingest_watermark_commit() }}"]) }}
-- depends_on: {{ ref('stg_backoffice__lab_specimens') }}
-- depends_on: {{ ref('stg_backoffice__encounters') }}

with intervals as (
    select * from {{ ref('int_lab_specimen_intervals') }}
    where {{ clinic_day_due('collected_date', 'clinic_id', 'cast(collected_at_local as date)') }}
),

catalog as (
    select * from {{ ref('lab_test_catalog') }}
),

encounters as (
    select clinic_id, encounter_id, departed_at, departed_at_local, ingested_at
    from {{ ref('stg_backoffice__encounters') }}
),

joined as (
    select
        intervals.clinic_id,
        intervals.specimen_id,
        intervals.test_code,
        coalesce(catalog.test_name, intervals.test_code) as test_name,
        coalesce(catalog.category, 'unknown') as test_category,
        catalog.test_code is null as is_unknown_test,
        intervals.priority,
        intervals.performing_site,
        intervals.reference_lab,
        intervals.status,
        intervals.rejection_reason,
        intervals.encounter_id,
        intervals.order_id,
        intervals.ordered_by,
        intervals.collected_by,
        intervals.performed_by,
        intervals.collected_at,
        intervals.collected_at_local,
        cast(intervals.collected_at_local as date) as collected_date,
        hour(intervals.collected_at_local) as collected_hour,
        isodow(intervals.collected_at_local) as collected_weekday,
        intervals.result_at,
        intervals.result_at_local,
        intervals.shipped_at,
        intervals.order_to_collection_min,
        intervals.collection_to_receipt_min,
        intervals.receipt_to_verified_min,
        intervals.collection_to_result_min,
        intervals.order_to_result_min,
        intervals.result_to_review_min,
        intervals.result_to_critical_call_min,
        intervals.collection_to_shipped_min,
        intervals.shipped_to_result_min,
        -- The catalog's target for the priority; rapid tests without one: var rapid_default_target_minutes.
        coalesce(
            case intervals.priority
                when 'stat' then catalog.target_minutes_stat
                else catalog.target_minutes_routine
            end,
            case when catalog.category = 'rapid' then {{ var('rapid_default_target_minutes') }} end
        ) as target_minutes,
        encounters.departed_at,
        encounters.departed_at_local,
        intervals.has_timeline_error,
        intervals.invalid_intervals,
        intervals.data_flags,
        intervals.ingested_at,
        -- A re-exported encounter (a later departure time) changes this row's figures too.
        greatest(intervals.ingested_at, encounters.ingested_at) as source_ingested_at
    from intervals
    left join catalog on catalog.test_code = intervals.test_code
    left join encounters
        on encounters.clinic_id = intervals.clinic_id and encounters.encounter_id = intervals.encounter_id
),

flagged as (
    select
        *,
        -- Counted in the statistics: a final or corrected result with a positive collection -> result interval.
        (status in ('final', 'corrected') and collection_to_result_min is not null and not has_timeline_error)
            as is_countable,
        case when collection_to_result_min is not null and not has_timeline_error
            then collection_to_result_min <= target_minutes end as is_within_target
    from joined
)

select
    clinic_id,
    specimen_id,
    test_code,
    test_name,
    test_category,
    is_unknown_test,
    priority,
    performing_site,
    reference_lab,
    status,
    encounter_id,
    collected_at,
    collected_at_local,
    collected_date,
    collected_hour,
    collected_weekday,
    result_at,
    order_to_collection_min,
    collection_to_receipt_min,
    receipt_to_verified_min,
    collection_to_result_min,
    order_to_result_min,
    result_to_review_min,
    result_to_critical_call_min,
    target_minutes,
    is_countable,
    is_within_target,
    departed_at,
    case when result_at is not null and departed_at is not null and not has_timeline_error
        then result_at <= departed_at end as resulted_before_departure,
    has_timeline_error,
    data_flags,
    -- Added columns (after the ones the dashboard reads).
    result_at_local,
    departed_at_local,
    shipped_at,
    collection_to_shipped_min,
    shipped_to_result_min,
    coalesce(is_countable and is_within_target = false, false) as is_outlier,
    invalid_intervals,
    rejection_reason,
    order_id,
    ordered_by,
    collected_by,
    performed_by,
    ingested_at,
    source_ingested_at
from flagged
