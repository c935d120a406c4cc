-- Recall scope of each positive biological indicator (domain-standards 3.1; CDC 2008, AAMI ST79): every load on the
-- same sterilizer since its last negative BI (started after the cycle that carried that BI), up to the next
-- negative BI on that sterilizer. Loads after the positive one are in scope too: until a BI reads negative again
-- the sterilizer is not shown to work. One row per positive-BI cycle x implicated load.
with loads as (
    select * from {{ ref('int_sterility_loads') }}
),

positives as (
    select clinic_id, sterilizer_id, load_id as positive_load_id, started_at as positive_started_at,
           bi_read_at as positive_bi_read_at, cycle_date as positive_cycle_date
    from loads
    where bi_result = 'positive'
),

negatives as (
    select clinic_id, sterilizer_id, started_at
    from loads
    where bi_result = 'negative'
),

bounds as (
    select
        p.*,
        (select max(n.started_at) from negatives n
          where n.clinic_id = p.clinic_id and n.sterilizer_id = p.sterilizer_id
            and n.started_at < p.positive_started_at) as last_negative_bi_started_at,
        (select min(n.started_at) from negatives n
          where n.clinic_id = p.clinic_id and n.sterilizer_id = p.sterilizer_id
            and n.started_at > p.positive_started_at) as next_negative_bi_started_at
    from positives p
)

select
    b.clinic_id,
    b.sterilizer_id,
    b.positive_load_id,
    b.positive_cycle_date,
    b.positive_bi_read_at,
    b.last_negative_bi_started_at,
    b.next_negative_bi_started_at,
    l.load_id,
    l.cycle_type,
    l.started_at,
    l.started_at_local,
    l.released_at,
    l.is_implant_load,
    case
        when l.load_id = b.positive_load_id then 'positive_load'
        when l.started_at < b.positive_started_at then 'since_last_negative_bi'
        else 'before_next_negative_bi'
    end as recall_position
from bounds b
join loads l
    on l.clinic_id = b.clinic_id
   and l.sterilizer_id = b.sterilizer_id
   and (l.is_load or l.load_id = b.positive_load_id)
   and l.started_at > coalesce(b.last_negative_bi_started_at, timestamp '-infinity')
   and l.started_at < coalesce(b.next_negative_bi_started_at, timestamp 'infinity')
