-- One row per specimen x test with the laboratory turnaround intervals, in minutes (domain-standards 1.1:
-- Hawkins 2007; Steindel & Howanitz 1997). Null when a timestamp is missing. An interval that is zero or
-- negative is a data error (a result cannot precede its collection): it is flagged and left out of the
-- statistics, as are rows the ingest flagged with an impossible timeline.
with specimens as (
    select * from {{ ref('stg_backoffice__lab_specimens') }}
),

timed as (
    select
        *,
        -- POCT: the result time is when the result exists; fall back to verification when only that is sent.
        coalesce(resulted_at, verified_at) as result_at,
        {{ minutes_between('ordered_at', 'collected_at') }} as order_to_collection_min,
        {{ minutes_between('collected_at', 'received_at') }} as collection_to_receipt_min,
        {{ minutes_between('received_at', 'coalesce(verified_at, resulted_at)') }} as receipt_to_verified_min,
        {{ minutes_between('collected_at', 'coalesce(resulted_at, verified_at)') }} as collection_to_result_min,
        {{ minutes_between('ordered_at', 'coalesce(resulted_at, verified_at)') }} as order_to_result_min,
        {{ minutes_between('coalesce(verified_at, resulted_at)', 'reviewed_at') }} as result_to_review_min,
        {{ minutes_between('coalesce(verified_at, resulted_at)', 'critical_notified_at') }} as result_to_critical_call_min
    from specimens
)

select
    *,
    (
        coalesce(collection_to_result_min <= 0, false)
        or coalesce(order_to_result_min <= 0, false)
        or len(data_flags) > 0
    ) as has_timeline_error
from timed
