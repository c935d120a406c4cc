-- Lab turnaround per specimen x test: the intervals, the clinic's target for the test and priority, and whether
-- a rapid result came back before the patient left (the reason the back office tests in house).
with timed as (
    select * from {{ ref('int_lab_specimens_timed') }}
),

catalog as (
    select * from {{ ref('lab_test_catalog') }}
),

encounters as (
    select clinic_id, encounter_id, departed_at from {{ ref('stg_backoffice__encounters') }}
),

joined as (
    select
        timed.clinic_id,
        timed.specimen_id,
        timed.test_code,
        coalesce(catalog.test_name, timed.test_code) as test_name,
        coalesce(catalog.category, 'unknown') as test_category,
        catalog.test_code is null as is_unknown_test,
        timed.priority,
        timed.performing_site,
        timed.reference_lab,
        timed.status,
        timed.encounter_id,
        timed.collected_at,
        timed.collected_at_local,
        cast(timed.collected_at_local as date) as collected_date,
        hour(timed.collected_at_local) as collected_hour,
        isodow(timed.collected_at_local) as collected_weekday,
        timed.result_at,
        timed.order_to_collection_min,
        timed.collection_to_receipt_min,
        timed.receipt_to_verified_min,
        timed.collection_to_result_min,
        timed.order_to_result_min,
        timed.result_to_review_min,
        timed.result_to_critical_call_min,
        case timed.priority
            when 'stat' then catalog.target_minutes_stat
            else coalesce(catalog.target_minutes_routine, {{ var('rapid_default_target_minutes') }})
        end as target_minutes,
        encounters.departed_at,
        timed.has_timeline_error,
        timed.data_flags
    from timed
    left join catalog on catalog.test_code = timed.test_code
    left join encounters
        on encounters.clinic_id = timed.clinic_id and encounters.encounter_id = timed.encounter_id
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
    -- Counted in the statistics: a final or corrected result with a positive collection -> result interval.
    (status in ('final', 'corrected') and collection_to_result_min is not null and not has_timeline_error)
        as is_countable,
    case when collection_to_result_min is not null and not has_timeline_error
        then collection_to_result_min <= target_minutes end as is_within_target,
    departed_at,
    case when result_at is not null and departed_at is not null and not has_timeline_error
        then result_at <= departed_at end as resulted_before_departure,
    has_timeline_error,
    data_flags
from joined
