{#-
    The ratio in `column_name` equals numerator / denominator recomputed from the additive bases of
    the same row, within a relative tolerance, and is NULL exactly when the
    denominator is 0. A failing row keeps all its columns (its keys name the offender), followed
    by the ratio found, the bases and the ratio expected.
-#}
{% test ratio_matches_recomputation(model, column_name, numerator, denominator, tolerance=1e-9) %}

with

recomputed as (

    select
        *,
        {{ column_name }} as actual,
        cast({{ numerator }} as double) as numerator_value,
        cast({{ denominator }} as double) as denominator_value,
        case
            when ({{ denominator }}) = 0 then null
            else cast({{ numerator }} as double) / cast({{ denominator }} as double)
        end as expected
    from {{ model }}

)

select *
from recomputed
where denominator_value is null
    or (expected is null) <> (actual is null)
    or abs(actual - expected) > {{ tolerance }} * greatest(1.0, abs(expected))

{% endtest %}
