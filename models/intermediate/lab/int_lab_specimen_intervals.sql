-- One row per specimen x test: int_lab_specimens_timed plus the send-out legs (collection -> shipped, shipped ->
-- result; domain-standards 1.3 [I]) and the validity of every interval.
-- An interval that is zero or negative is a data error: it is named in `invalid_intervals` and left out of that
-- interval's statistics (domain-standards 1.4; Cureus 2016 excluded TAT <= 4 min as entry errors). One exception:
-- collection -> receipt of 0 minutes for an in-house (point-of-care) test is the definition, not an error
-- (domain-standards 1.1 [I]: POCT receipt = collection). A row with `has_timeline_error` (collection -> result or
-- order -> result not positive, or an impossible timeline flagged by the ingest) is left out of every statistic.
with timed as (
    select * from {{ ref('int_lab_specimens_timed') }}
),

legs as (
    select
        *,
        coalesce(resulted_at_local, verified_at_local) as result_at_local,
        {{ minutes_between('collected_at', 'shipped_at') }} as collection_to_shipped_min,
        {{ minutes_between('shipped_at', 'result_at') }} as shipped_to_result_min
    from timed
)

select
    *,
    list_filter([
        case when order_to_collection_min <= 0 then 'order_to_collection' end,
        case when collection_to_receipt_min < 0
                or (collection_to_receipt_min = 0 and performing_site is distinct from 'in_house')
            then 'collection_to_receipt' end,
        case when receipt_to_verified_min <= 0 then 'receipt_to_verified' end,
        case when collection_to_result_min <= 0 then 'collection_to_result' end,
        case when order_to_result_min <= 0 then 'order_to_result' end,
        case when result_to_review_min <= 0 then 'result_to_review' end,
        case when result_to_critical_call_min <= 0 then 'result_to_critical_call' end,
        case when collection_to_shipped_min <= 0 then 'collection_to_shipped' end,
        case when shipped_to_result_min <= 0 then 'shipped_to_result' end
    ]::varchar[], lambda x: x is not null) as invalid_intervals
from legs
