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
    The decimal a money value was rounded at, as the API wrote it (2..9): the digits after the
    point, trailing zeros aside, but at least the cent (`6.465823` → 6, `8.308E-6` → 9,
    `190758099` → 2). How finely the API rounds is not documented, so it is read from the values;
    a value written with fewer decimals (a price in whole units) was not rounded coarser than the
    cent, and must not widen a tolerance. Same rule as the lake checks (mpo_pipeline.ingest.lake_checks).
-#}
{% macro money_decimals(expr) -%}
    case
        {%- for digits in range(2, 9) %}
        when {{ expr }} = round({{ expr }}, {{ digits }}) then {{ digits }}
        {%- endfor %}
        else 9
    end
{%- endmacro %}


{#-
    Aggregate: the precision the API rounded `expr` to over the group's rows, estimated as the most
    decimals of any value of at least 0.001 (smaller values may be written with more significant
    digits, e.g. `8.308E-6`, and are then closer to the truth, not further). 2 for an empty group.
-#}
{% macro money_precision(expr) -%}
    coalesce(
        max({{ money_decimals(expr) }}) filter (where abs({{ expr }}) >= 0.001),
        max({{ money_decimals(expr) }}),
        2
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
