-- One row per pre-vacuum sterilizer x local day with at least one load: was a passing Bowie-Dick (air-removal)
-- test run before the day's first load (AAMI ST79: daily, first cycle, empty chamber; domain-standards 3.1)?
with loads as (
    select * from {{ ref('int_sterility_loads') }}
),

used_days as (
    select
        clinic_id,
        sterilizer_id,
        cycle_date,
        min(started_at) as first_load_started_at,
        arg_min(load_id, started_at) as first_load_id,
        count(*) as loads
    from loads
    where is_load and is_prevacuum_sterilizer
    group by all
),

bowie_dick as (
    select clinic_id, sterilizer_id, cycle_date, load_id, started_at,
           ci_result = 'pass' and coalesce(physical_pass, true) as passed
    from loads
    where cycle_type = 'bowie_dick'
),

judged as (
    select
        u.clinic_id,
        u.sterilizer_id,
        u.cycle_date,
        u.loads,
        u.first_load_id,
        u.first_load_started_at,
        count(b.load_id) as bowie_dick_tests,
        count(b.load_id) filter (where b.started_at < u.first_load_started_at) as tests_before_first_load,
        count(b.load_id) filter (where b.started_at < u.first_load_started_at and b.passed) as passes_before_first_load,
        arg_max(b.load_id, b.started_at) filter (where b.started_at < u.first_load_started_at) as bowie_dick_load_id
    from used_days u
    left join bowie_dick b
        on b.clinic_id = u.clinic_id and b.sterilizer_id = u.sterilizer_id and b.cycle_date = u.cycle_date
    group by all
)

select
    *,
    passes_before_first_load > 0 as is_compliant,
    case
        when passes_before_first_load > 0 then null
        when bowie_dick_tests = 0 then 'no_bowie_dick_test'
        when tests_before_first_load = 0 then 'bowie_dick_after_first_load'
        else 'bowie_dick_failed'
    end as reason
from judged
