{#- The most frequent non-null value of `expression` over the group's rows passing `condition`; a tie goes to the
    value that sorts first. DuckDB's mode() breaks ties by whichever value its hash table meets first, which varies
    with the order rows arrive in: an incremental run and a full refresh could name different "top" reasons for the
    same rows. -#}
{% macro most_frequent(expression, condition='true') -%}
    list_sort(list_transform(map_entries(histogram({{ expression }}) filter (where {{ condition }})),
                             lambda e: {'n': -cast(e.value as bigint), 'v': e.key}))[1].v
{%- endmacro %}
