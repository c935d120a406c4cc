-- One row per specimen (clinic x specimen_id): collection -> first and -> last result over the specimen's tests.
-- A specimen's turnaround is collection -> its last result (MIMIC-IV: 3,005 specimens release results at
-- different times; the clinician's question "is the panel back?" is answered by the last one). Only the
-- specimen's countable tests (final/corrected, positive collection -> result, no timeline error) give result times.
-- Incremental by clinic and the specimen's collection day, like fct_lab_turnaround: a run recomputes the days after
-- each clinic's watermark less var lab_incremental_lookback_days, and the days of every specimen with a test row
-- newer than the table's source_ingested_at (macro lab_specimen_stale), reading all rows of those specimens.
{{ clinic_day_config("{{ clinic_day_lookback_delete('collected_date', var('lab_incremental_lookback_days'),
                                           lab_specimen_stale('collected_date', this_has_specimens=true,
                                                              date_column='collected_date')) }}") }}

with turnaround as (
    {{ lab_rows_of_due_specimens('collected_date', 'collected_date') }}
),

per_specimen as (
    select
        clinic_id,
        specimen_id,
        -- stat when any test on it is stat; the site, or 'mixed'.
        case when bool_or(priority = 'stat') then 'stat' else 'routine' end as priority,
        case when count(distinct performing_site) = 1 then any_value(performing_site) else 'mixed' end
            as performing_site,
        min(collected_at) as collected_at,
        min(collected_at_local) as collected_at_local,
        count(*) as n_tests,
        count(*) filter (where status not in ('cancelled', 'rejected')) as n_tests_expected,
        count(*) filter (where is_countable) as n_tests_resulted,
        count(*) filter (where status = 'rejected') as n_tests_rejected,
        min(result_at) filter (where is_countable) as first_result_at,
        max(result_at) filter (where is_countable) as last_result_at,
        bool_or(has_timeline_error) as has_timeline_error,
        max(source_ingested_at) as source_ingested_at
    from turnaround
    group by clinic_id, specimen_id
)

select
    clinic_id,
    specimen_id,
    priority,
    performing_site,
    collected_at,
    collected_at_local,
    cast(collected_at_local as date) as collected_date,
    n_tests,
    n_tests_expected,
    n_tests_resulted,
    n_tests_rejected,
    first_result_at,
    last_result_at,
    {{ minutes_between('collected_at', 'first_result_at') }} as collection_to_first_result_min,
    {{ minutes_between('collected_at', 'last_result_at') }} as collection_to_last_result_min,
    n_tests_resulted > 0 and n_tests_resulted = n_tests_expected as is_complete,
    coalesce({{ minutes_between('collected_at', 'last_result_at') }} > 0, false) as is_countable,
    has_timeline_error,
    source_ingested_at
from per_specimen
where {{ clinic_day_due('collected_date', 'clinic_id', 'cast(collected_at_local as date)') }}
