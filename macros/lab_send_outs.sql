{#- The body of int_lab_send_outs (see there), on the send-out rows that pass `where` (an expression on the rows
    of int_lab_specimen_intervals): fct_lab_send_outs computes only the collection days an incremental run
    recomputes (the working-day arithmetic is a subquery per row, so a filter on the finished rows comes too
    late). -#}
{% macro lab_send_outs(where='true') -%}
with intervals as (
    select * from {{ ref('int_lab_specimen_intervals') }}
    where performing_site = 'send_out' and {{ where }}
),

clinics as (
    select clinic_id, country, timezone from {{ ref('stg_backoffice__clinics') }}
),

reference_labs as (
    select * from {{ ref('reference_labs') }}
),

latest_event as (
    -- Every lab row of the clinic counts, in house or sent out (the staging rows: `intervals` holds send-outs only).
    select
        clinic_id,
        max(greatest(collected_at, received_at, shipped_at, resulted_at, verified_at, reviewed_at)) as latest_at,
        max(greatest(
            collected_at_local, received_at_local, shipped_at_local, resulted_at_local, verified_at_local,
            reviewed_at_local
        )) as latest_at_local
    from {{ ref('stg_backoffice__lab_specimens') }}
    group by clinic_id
),

as_of as (
    select
        clinics.clinic_id,
        clinics.country,
        {% if var('lab_open_as_of_date', '') %}
        date '{{ var("lab_open_as_of_date") }}' as as_of_date,
        timezone('UTC', timezone(clinics.timezone, (date '{{ var("lab_open_as_of_date") }}' + 1)::timestamp))
            as as_of_at
        {% else %}
        cast(latest_event.latest_at_local as date) as as_of_date,
        latest_event.latest_at as as_of_at
        {% endif %}
    from clinics
    left join latest_event on latest_event.clinic_id = clinics.clinic_id
),

send_outs as (
    select
        i.clinic_id,
        i.specimen_id,
        i.test_code,
        i.priority,
        i.reference_lab,
        i.status,
        i.collected_at,
        i.shipped_at,
        i.result_at,
        cast(i.collected_at_local as date) as collected_date,
        cast(i.shipped_at_local as date) as shipped_date,
        cast(i.result_at_local as date) as result_date,
        i.collection_to_shipped_min,
        i.shipped_to_result_min,
        i.collection_to_result_min,
        i.invalid_intervals,
        i.has_timeline_error,
        i.ingested_at as source_ingested_at,
        (i.status in ('final', 'corrected') and not i.has_timeline_error) as is_reportable,
        as_of.country,
        as_of.as_of_date,
        as_of.as_of_at,
        coalesce(own.promised_working_days, lab_default.promised_working_days) as promised_working_days,
        case when own.reference_lab is not null then own.promised_hours_stat
            else lab_default.promised_hours_stat end as promised_hours_stat
    from intervals as i
    left join as_of on as_of.clinic_id = i.clinic_id
    left join reference_labs as own
        on own.reference_lab = i.reference_lab and own.test_code = i.test_code
    left join reference_labs as lab_default
        on lab_default.reference_lab = i.reference_lab and lab_default.test_code = '*'
    where i.performing_site = 'send_out'
),

measured as (
    select
        *,
        collection_to_shipped_min / 60.0 as collection_to_shipped_hours,
        shipped_to_result_min / 60.0 as shipped_to_result_hours,
        collection_to_result_min / 60.0 as collection_to_result_hours,
        {{ working_days_between('send_outs.collected_date', 'send_outs.shipped_date', 'send_outs.country',
                                'send_outs.clinic_id') }} as collection_to_shipped_working_days,
        {{ working_days_between('send_outs.shipped_date', 'send_outs.result_date', 'send_outs.country',
                                'send_outs.clinic_id') }} as shipped_to_result_working_days,
        {{ working_days_between('send_outs.collected_date', 'send_outs.result_date', 'send_outs.country',
                                'send_outs.clinic_id') }} as collection_to_result_working_days,
        case
            when promised_working_days is null and promised_hours_stat is null then null
            when priority = 'stat' and promised_hours_stat is not null then 'hours'
            else 'working_days'
        end as promise_basis,
        status = 'pending' as is_open,
        coalesce(shipped_at, collected_at) as promise_clock_start_at,
        coalesce(shipped_date, collected_date) as promise_clock_start_date
    from send_outs
)

select
    * replace (case when is_open then as_of_date end as as_of_date, case when is_open then as_of_at end as as_of_at),
    case
        when promise_basis = 'hours' then promise_clock_start_at + to_minutes(cast(promised_hours_stat * 60 as bigint))
    end as promised_by_at,
    -- Resulted on time: measured from pick-up, on the promise's own scale. NULL when not reportable or not shipped.
    case
        when not is_reportable or shipped_at is null or list_contains(invalid_intervals, 'shipped_to_result') then null
        when promise_basis = 'hours' then shipped_to_result_hours <= promised_hours_stat
        when promise_basis = 'working_days' then shipped_to_result_working_days <= promised_working_days
    end as is_within_promise,
    case when is_open then
        {{ working_days_between('measured.promise_clock_start_date', 'measured.as_of_date', 'measured.country',
                                'measured.clinic_id') }}
    end as open_working_days,
    case when is_open then {{ minutes_between('promise_clock_start_at', 'as_of_at') }} / 60.0 end as open_hours,
    case
        when not is_open then false
        when promise_basis = 'hours'
            then as_of_at > promise_clock_start_at + to_minutes(cast(promised_hours_stat * 60 as bigint))
        when promise_basis = 'working_days'
            then {{ working_days_between('measured.promise_clock_start_date', 'measured.as_of_date',
                                         'measured.country', 'measured.clinic_id') }} > promised_working_days
        else false
    end as is_open_past_promise
from measured
{%- endmacro %}
