{#- Working days on a clinic's calendar (Monday-Friday minus the holidays in seeds/clinic_holidays.csv).

    `working_days_between(start_date, end_date, country, clinic_id)`: the number of working days d with
    start_date < d <= end_date, i.e. the day of the start event is day 0 and a result on the next working day is
    1 working day (the convention of "reported within 2 working days", CAP / Zarbo et al. APLM 1996;
    domain-standards 1.3). Negative when end_date < start_date, NULL when either is NULL. A holiday row applies
    to every clinic of its country (clinic_id blank) or to one clinic (clinic_id set).

    `weekdays_through(d)`: Monday-Friday days from Monday 1970-01-05 through d (a running index, so the weekdays
    in (a, b] are weekdays_through(b) - weekdays_through(a)). -#}
{% macro weekdays_through(d) -%}
    (5 * floor(date_diff('day', date '1970-01-05', {{ d }}) / 7)
     + least(((date_diff('day', date '1970-01-05', {{ d }}) % 7) + 7) % 7 + 1, 5))::bigint
{%- endmacro %}

{% macro working_days_between(start_date, end_date, country, clinic_id) -%}
    (
        {{ weekdays_through(end_date) }} - {{ weekdays_through(start_date) }}
        - (
            select count(distinct h.holiday_date)
            from {{ ref('clinic_holidays') }} as h
            where isodow(h.holiday_date) <= 5
                and (h.clinic_id = {{ clinic_id }} or (h.clinic_id is null and h.country = {{ country }}))
                and h.holiday_date > least({{ start_date }}, {{ end_date }})
                and h.holiday_date <= greatest({{ start_date }}, {{ end_date }})
        ) * sign(date_diff('day', {{ start_date }}, {{ end_date }}))
    )
{%- endmacro %}
