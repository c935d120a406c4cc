-- One row per clinic x local calendar day x clock-hour mark 0..24: the UTC instant at which the clinic's wall
-- clock first reads `day + mark_hour:00` (mark 24 = next midnight). This is the only place where wall-clock
-- times are turned into UTC; staffed windows and hour slots are measured between these marks, so they are
-- right on daylight-saving change days:
--   * spring forward (Europe/Berlin 2026-03-29): 02:00 does not exist; mark 2 = mark 3 = 01:00 UTC, so the
--     02:00 slot lasts 0 minutes and the day 23 hours;
--   * fall back (2026-10-25): 02:00-02:59 happens twice; mark 2 = the first 02:00 (00:00 UTC) and mark 3 =
--     02:00 UTC, so the 02:00 slot lasts 120 minutes and the day 25 hours.
-- DuckDB's ICU `timezone()` returns the later instant for an ambiguous wall time; the earlier one is taken
-- instead when it reads the same on the wall clock. Assumes DST changes on whole hours (all European and North
-- American zones). The calendar spans each clinic's first to last local day with a patient in a procedure room
-- (the period the exports cover), as it always has: days inside it without cases still count as staffed.
-- Incremental by day per clinic (a table, so the room marts read only the days they rebuild).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ clinic_day_lookback_delete('day') }}",
) }}

with watermarks as (
    -- each clinic's last day already built (none on a full refresh): clinics export independently
    {{ clinic_day_watermarks('day') }}
),

procedures as (
    select clinic_id, patient_in_at_local as activity_at_local
    from {{ ref('stg_backoffice__procedures') }}
),

activity_span as (
    select
        clinic_id,
        cast(min(activity_at_local) as date) as first_day,
        cast(max(activity_at_local) as date) as last_day
    from procedures
    where activity_at_local is not null
    group by clinic_id
),

clinics as (
    select clinic_id, timezone from {{ ref('stg_backoffice__clinics') }}
),

days as (
    select
        activity_span.clinic_id,
        clinics.timezone,
        cast(unnest(generate_series(
            greatest(activity_span.first_day, coalesce(w.built_through, date '1900-01-01') + 1),
            activity_span.last_day,
            interval 1 day
        )) as date) as day
    from activity_span
    join clinics on clinics.clinic_id = activity_span.clinic_id
    left join watermarks w on w.clinic_id = activity_span.clinic_id
),

marks as (
    select clinic_id, timezone, day, unnest(range(0, 25)) as mark_hour
    from days
),

icu as (
    select
        *,
        day + to_hours(mark_hour) as mark_local,
        timezone(timezone, day + to_hours(mark_hour)) as icu_at
    from marks
)

select
    clinic_id,
    day,
    mark_hour,
    mark_local,
    timezone('UTC', case
        when timezone(timezone, icu_at - interval 1 hour) = mark_local then icu_at - interval 1 hour
        else icu_at
    end) as mark_at
from icu
