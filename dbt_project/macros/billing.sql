{#-
    Billing: money is exact (DECIMAL(38, 9) sums, DECIMAL(38, 15) products with a rate) until it is
    billed, then rounded ONCE per statement row to the minor unit of its currency (seed
    `currency_minor_units`, from Babel's CLDR data), half away from zero.

    Why half away from zero: it is what a seller gets when re-computing an invoice line with a
    spreadsheet's ROUND (Excel, LibreOffice and Google Sheets all round .5 away from zero), and the
    usual invoicing convention; banker's rounding (half to even) would make 0.125 EUR 0.12 on our
    side and 0.13 on theirs.

    DuckDB's round(DECIMAL, n) is half away from zero (0.125 -> 0.13, -0.125 -> -0.13, 2.5 -> 3),
    but takes a constant n only: hence the case over the minor units 0..4 (every digit count of
    the seed; its data test checks that range). Each branch is cast on its own: a case over
    round(x, 0) and round(x, 2) would otherwise take the type of the first branch and drop the
    decimals of the others.
-#}
{% macro billed_money_type() -%}
    decimal(38, 4)
{%- endmacro %}


{#-
    `amount` rounded half away from zero to `minor_unit` decimals, as DECIMAL(38, 4). NULL when the
    minor unit is NULL (a currency missing from the seed: the statement's data tests fail on it);
    a minor unit outside 0..4 fails the query.
-#}
{% macro round_to_minor_unit(amount, minor_unit) -%}
    case
        when ({{ minor_unit }}) is null then cast(null as {{ billed_money_type() }})
        {%- for digits in range(5) %}
        when ({{ minor_unit }}) = {{ digits }} then cast(round({{ amount }}, {{ digits }}) as {{ billed_money_type() }})
        {%- endfor %}
        else error('minor unit ' || ({{ minor_unit }}) || ' is outside 0..4: extend round_to_minor_unit (macros/billing.sql)')
    end
{%- endmacro %}


{#-
    Aggregate over the seller directory rows `history` (columns seller_name, valid_from, valid_to as
    in marts.dim_seller_rates_history) overlapping the calendar month `month` (DATE, first day),
    left joined (no row = the seller is not in the directory). Two columns per rate: `<rate>` = the
    rate when a single value held every day of the month, else NULL; `<rate>_changed_in_month` =
    true when it changed within the month. Days before the seller's first directory row count as
    rate 0 (as a seller missing from the directory). Directory rows of a seller follow each other
    without gaps, so the month is covered from its first day on when one row covers that day.
-#}
{% macro rate_held_all_month(rate, history='history', month='month') -%}
    {%- set covers_first_day -%}
        coalesce(bool_or({{ history }}.seller_name is not null
            and ({{ history }}.valid_from is null or {{ history }}.valid_from <= {{ month }})), false)
    {%- endset %}
    {%- set held -%}
        case
            when {{ covers_first_day }}
                then case when min({{ history }}.{{ rate }}) = max({{ history }}.{{ rate }}) then min({{ history }}.{{ rate }}) end
            when coalesce(min({{ history }}.{{ rate }}), 0) = 0 and coalesce(max({{ history }}.{{ rate }}), 0) = 0
                then 0
        end
    {%- endset %}
        cast({{ held }} as decimal(10, 6)) as {{ rate }},
        ({{ held }}) is null as {{ rate }}_changed_in_month
{%- endmacro %}


{#- Join condition: `history` row overlaps the calendar month `month` (DATE, first day). -#}
{% macro overlaps_month(history='history', month='month') -%}
    ({{ history }}.valid_from is null or {{ history }}.valid_from <= last_day({{ month }}))
    and ({{ history }}.valid_to is null or {{ history }}.valid_to > {{ month }})
{%- endmacro %}


{#-
    Data test: `column_name` equals `exact` rounded half away from zero to the row's minor unit
    (`minor_unit`, a column), on the rows where `exact` is defined (not NULL).
-#}
{% test rounded_once_to_minor_unit(model, column_name, exact, minor_unit='currency_minor_unit') %}

select *
from {{ model }}
where ({{ exact }}) is not null
    and {{ column_name }} is distinct from {{ round_to_minor_unit(exact, minor_unit) }}

{% endtest %}


{#-
    The day whose directory rates are "today's" (marts.dim_sellers, is_current of
    marts.dim_seller_rates_history): var `rates_as_of` (ISO date) when given, else the current date.
-#}
{% macro rates_as_of_date() -%}
    {%- set as_of = var('rates_as_of', none) -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}


{#-
    SQL: one row per `keys` of `relation` (columns of its rows, among them month, advertiser_id and
    seller_id): the directory rate `rate` over the calendar month (rate_held_all_month: one value
    all month, or changed), from the seller's directory rows (marts.dim_seller_rates_history) of
    its name (marts.dim_sellers).
-#}
{% macro seller_month_rate(relation, rate, keys) -%}
    select
        {%- for key in keys %}
        {{ relation }}.{{ key }},
        {%- endfor %}
        {{ rate_held_all_month(rate, history='history', month=relation ~ '.month') }}
    from {{ relation }}
    left join {{ ref('dim_sellers') }} as sellers
        on {{ relation }}.advertiser_id = sellers.advertiser_id
        and {{ relation }}.seller_id = sellers.seller_id
    left join {{ ref('dim_seller_rates_history') }} as history
        on sellers.seller_name = history.seller_name
        and {{ overlaps_month(history='history', month=relation ~ '.month') }}
    group by {% for key in keys %}{{ relation }}.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}
