{#- Data tests on the recent partitions only (opt-in, for a production incremental run): with
    --vars '{data_test_recent_days: N}' (backoffice.build.build(recent_test_days=N)), a generic data test on one of
    the relations named in recent_test_columns() sees only the rows of its last N days (by that column, counted back
    from the relation's newest day), i.e. the days an incremental run can have rebuilt, and so does a singular test
    that reads its models through recent_days(); other tests, and every test without the var (`make test`,
    `backoffice build`), see whole tables. Overrides dbt's get_where_subquery, which wraps the model of every generic
    data test; an explicit `where` config still applies. -#}
{% macro recent_test_columns() -%}
    {{ return({
        'stg_backoffice__lab_specimens': 'collected_at_local', 'stg_backoffice__encounters': 'arrived_at_local',
        'stg_backoffice__room_events': 'occurred_at_local', 'stg_backoffice__procedures': 'scheduled_start_at_local',
        'fct_lab_turnaround': 'collected_date', 'fct_lab_specimen_turnaround': 'collected_date',
        'fct_lab_send_outs': 'collected_date', 'agg_lab_turnaround_daily': 'collected_date',
        'agg_lab_turnaround_weekly': 'week_start', 'agg_lab_turnaround_monthly': 'month_start',
        'agg_lab_before_departure_monthly': 'month_start', 'agg_lab_rejections_by_test_monthly': 'month_start',
        'agg_lab_rejections_by_collector_monthly': 'month_start', 'agg_lab_send_outs_monthly': 'month_start',
        'fct_room_occupancy': 'occupancy_date', 'agg_room_utilization_hourly': 'day',
        'agg_room_utilization_daily': 'day', 'fct_exam_room_minutes_freed': 'visit_date',
        'agg_throughput_hourly': 'day', 'agg_throughput_room_hourly': 'day', 'agg_throughput_room_daily': 'day',
        'fct_sterility_checks': 'check_date', 'fct_sterility_exceptions': 'exception_date',
        'fct_sterilizer_loads': 'cycle_date', 'agg_compliance_weekly': 'week_start',
        'fct_competency_checks': 'performed_on', 'fct_competency_exceptions': 'exception_date',
        'fct_competency_status_daily': 'status_date', 'fct_certification_status_daily': 'status_date',
    }) }}
{%- endmacro %}

{#- The column that scopes `relation`'s data tests to recent days: none without var data_test_recent_days, or for a
    relation not in recent_test_columns(). -#}
{% macro recent_days_column(relation) -%}
    {%- if var('data_test_recent_days', none) is none or relation.identifier is not defined -%}
    {{ return(none) }}
    {%- endif -%}
    {{ return(recent_test_columns().get(relation.identifier)) }}
{%- endmacro %}

{#- `relation`, or only its rows of the last N days when it has a recent_days_column(): for singular tests, which
    read their models directly, and for get_where_subquery. -#}
{% macro recent_days(relation, where='') -%}
    {%- set column = recent_days_column(relation) -%}
    {%- if column is none -%}
    {%- if where %}(select * from {{ relation }} where {{ where }}){% else %}{{ relation }}{% endif -%}
    {%- else -%}
    (select * from {{ relation }}
     where cast({{ column }} as date) >= (select max(cast({{ column }} as date)) from {{ relation }})
                                          - {{ var('data_test_recent_days') | int }}
     {%- if where %} and ({{ where }}){% endif %})
    {%- endif -%}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- if recent_days_column(relation) is none -%}
        {%- do return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) -%}
    {%- endif -%}
    {%- do return(recent_days(relation, config.get('where', '')) ~ ' dbt_subquery') -%}
{%- endmacro %}
