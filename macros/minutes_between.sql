{#- Minutes from `start_at` to `end_at` (UTC timestamps), with seconds as a fraction; NULL when either is missing.
    Timestamps are UTC in the warehouse, so intervals are right across daylight-saving changes. -#}
{% macro minutes_between(start_at, end_at) -%}
    (date_diff('second', {{ start_at }}, {{ end_at }}) / 60.0)
{%- endmacro %}
