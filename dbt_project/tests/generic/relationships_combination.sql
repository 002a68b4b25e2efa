{#-
    Multi-column foreign key: fails on every distinct key of `model` (`columns`) missing from `to`
    (matched on `to_columns`, default the same names). Rows with a NULL key part are ignored.
-#}
{% test relationships_combination(model, columns, to, to_columns=none) %}
{%- set to_columns = to_columns or columns %}
{%- set skipped = skip_if_stale_parents() %}
{%- if skipped %}
{{ skipped }}
{%- else %}

with

child as (

    select distinct {{ columns | join(', ') }}
    from {{ model }}
    where {% for c in columns %}{{ c }} is not null{{ " and " if not loop.last }}{% endfor %}

),

parent as (

    select distinct
        {%- for c in to_columns %}
        {{ c }} as {{ columns[loop.index0] }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ to }}

)

select child.*
from child
anti join parent using ({{ columns | join(', ') }})

{%- endif %}
{% endtest %}
