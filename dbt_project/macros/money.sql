{#-
    Money keeps the API's precision until it is billed: `decimal(38, 9)` (29 integer digits, 9
    decimals) from staging through facts and rollups, summed unrounded. The lake holds the exact
    decimals the API wrote (docs/lake.md); only billed amounts are rounded, once, to the currency's
    minor unit.
-#}
{% macro money_type() -%}
    decimal(38, 9)
{%- endmacro %}


{#-
    The number of decimals of a money value (0..9): how many digits the API wrote after the point,
    trailing zeros aside (`6.465823` → 6, `8.308E-6` → 9, `190758099` → 0).
-#}
{% macro money_decimals(expr) -%}
    case
        {%- for digits in range(9) %}
        when {{ expr }} = round({{ expr }}, {{ digits }}) then {{ digits }}
        {%- endfor %}
        else 9
    end
{%- endmacro %}


{#-
    Aggregate: the precision the API rounded `expr` to over the group's rows, estimated as the most
    decimals of any value of at least 0.001 (smaller values may be written with more significant
    digits, e.g. `8.308E-6`, and are then closer to the truth, not further). 0 for an empty group.
-#}
{% macro money_precision(expr) -%}
    coalesce(
        max({{ money_decimals(expr) }}) filter (where abs({{ expr }}) >= 0.001),
        max({{ money_decimals(expr) }}),
        0
    )
{%- endmacro %}


{#-
    Aggregate: how far the sum of `expr` over the group's rows may be from the exact sum when the
    API rounded each row on its own: half a unit of the last decimal per row
    (rows × 0.5 × 10^-precision). DOUBLE.
-#}
{% macro rounding_tolerance(expr) -%}
    (count({{ expr }}) * 0.5 / pow(10, {{ money_precision(expr) }}))
{%- endmacro %}
