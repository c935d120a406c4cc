{#- Incremental-by-clinic-and-local-day, shared by the room and throughput models.

    Clinics export independently, so each clinic has its own watermark: the last local day already built.
    A run first deletes each clinic's last `room_throughput_lookback_days` days (pre-hook), then appends every
    day after the remaining watermark. Late corrections older than the look-back need --full-refresh. -#}

{% macro clinic_day_lookback_delete(date_column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ date_column }} >= (
        select max(w.{{ date_column }}) - {{ var('room_throughput_lookback_days') }}
        from {{ this }} w where w.clinic_id = {{ this }}.clinic_id)
    {%- endif -%}
{%- endmacro %}

{% macro clinic_day_watermarks(date_column) -%}
    {%- if is_incremental() -%}
    select clinic_id, max({{ date_column }}) as built_through from {{ this }} group by clinic_id
    {%- else -%}
    select cast(null as varchar) as clinic_id, cast(null as date) as built_through where false
    {%- endif -%}
{%- endmacro %}
