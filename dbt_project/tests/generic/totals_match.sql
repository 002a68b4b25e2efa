{#-
    The totals of `columns` + `money_columns` per `group_by` in `model` equal those of `compare_to`
    (e.g. sellers = seller-campaigns per day and advertiser). Counts must be equal; money may differ
    by `money_tolerance`: a number, or 'rounding' (the default) for what per-row rounding explains and
    nothing more: on each side, its rows × half a unit of the last decimal the API wrote
    (macros/money.sql), so rounding noise passes and a missing row worth a cent fails.
    - `compare_group_by`: expressions of `compare_to` matching `group_by` (default: the same names).
    - `compare_columns`: {model column: expression of compare_to} where names differ.
    - `window_column`: when set, both sides are limited to the report-date window of the run
      (vars min_report_date / max_report_date); without a window they are compared in full.
-#}
{% test totals_match(model, compare_to, group_by, columns, money_columns=[], money_tolerance='rounding',
                     compare_group_by=none, compare_columns={}, window_column=none) %}
{%- set all_columns = columns + money_columns %}
{%- set compare_group_by = compare_group_by or group_by %}
{%- set skipped = skip_if_stale_parents() %}
{%- if skipped %}
{{ skipped }}
{%- else %}

with

model_totals as (

    select
        {%- for g in group_by %}
        {{ g }},
        {%- endfor %}
        {%- for c in money_columns %}
        {{ rounding_tolerance(c) }} as {{ c }}__tolerance,
        {%- endfor %}
        {%- for c in all_columns %}
        sum({{ c }}) as {{ c }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {%- if window_column %}
    where {{ report_window_predicate(window_column) }}
    {%- endif %}
    group by all

),

compare_totals as (

    select
        {%- for g in compare_group_by %}
        {{ g }} as {{ group_by[loop.index0] }},
        {%- endfor %}
        {%- for c in money_columns %}
        {{ rounding_tolerance(compare_columns.get(c, c)) }} as {{ c }}__tolerance,
        {%- endfor %}
        {%- for c in all_columns %}
        sum({{ compare_columns.get(c, c) }}) as {{ c }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ compare_to }}
    {%- if window_column %}
    where {{ report_window_predicate(window_column) }}
    {%- endif %}
    group by all

)

select
    {%- for g in group_by %}
    coalesce(model_totals.{{ g }}, compare_totals.{{ g }}) as {{ g }},
    {%- endfor %}
    {%- for c in all_columns %}
    model_totals.{{ c }} as {{ c }}_model,
    compare_totals.{{ c }} as {{ c }}_compare{{ "," if not loop.last }}
    {%- endfor %}
from model_totals
full outer join compare_totals
    on {% for g in group_by %}model_totals.{{ g }} = compare_totals.{{ g }}{{ " and " if not loop.last }}{% endfor %}
where false
    {%- for c in columns %}
    or coalesce(model_totals.{{ c }}, 0) <> coalesce(compare_totals.{{ c }}, 0)
    {%- endfor %}
    {%- for c in money_columns %}
    {%- if money_tolerance == 'rounding' %}
    or abs(coalesce(model_totals.{{ c }}, 0) - coalesce(compare_totals.{{ c }}, 0))
        > coalesce(model_totals.{{ c }}__tolerance, 0) + coalesce(compare_totals.{{ c }}__tolerance, 0)
    {%- else %}
    or abs(coalesce(model_totals.{{ c }}, 0) - coalesce(compare_totals.{{ c }}, 0)) > {{ money_tolerance }}
    {%- endif %}
    {%- endfor %}

{%- endif %}
{% endtest %}
