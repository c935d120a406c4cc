-- One row per send-out specimen x test: the legs in calendar hours and working days, the reference lab's promise,
-- and whether the specimen is still open past it as of the latest data date (int_lab_send_outs).
-- Incremental by clinic and collection day, like fct_lab_turnaround (macro lab_turnaround_stale), and every day with a
-- specimen still open in the table is recomputed too: an open specimen is judged as of the clinic's latest lab event,
-- which moves with every new day of data.
{{ clinic_day_config(["{{ ingest_watermark_save(lab_source_ingested_at()) }}",
                      "{{ clinic_day_lookback_delete('collected_date', var('lab_incremental_lookback_days'),
                                           lab_turnaround_stale()
                                           ~ ' union all select clinic_id, collected_date from ' ~ this
                                           ~ ' where is_open') }}"],
                     post_hook=["{{ clinic_day_stale_drop() }}", "{{ ingest_watermark_commit() }}"]) }}
-- depends_on: {{ ref('stg_backoffice__lab_specimens') }}
-- depends_on: {{ ref('stg_backoffice__encounters') }}
-- The rows of int_lab_send_outs (macro lab_send_outs), computed for the days this run (re)builds only.

select
    clinic_id,
    specimen_id,
    test_code,
    priority,
    reference_lab,
    status,
    collected_at,
    shipped_at,
    result_at,
    collected_date,
    shipped_date,
    result_date,
    collection_to_shipped_hours,
    shipped_to_result_hours,
    collection_to_result_hours,
    collection_to_shipped_working_days,
    shipped_to_result_working_days,
    collection_to_result_working_days,
    promise_basis,
    promised_working_days,
    promised_hours_stat,
    promised_by_at,
    is_reportable,
    is_within_promise,
    is_open,
    as_of_date,
    as_of_at,
    open_working_days,
    open_hours,
    is_open_past_promise,
    has_timeline_error,
    invalid_intervals,
    source_ingested_at
from ({{ lab_send_outs(clinic_day_due('collected_date', 'clinic_id', 'cast(collected_at_local as date)')) }}) s
