{#-
    Ratios are recomputed from additive bases at every grain, never averaged or
    summed: cr = sale_units / clicks, cpo = cost / sale_units, cos = cost / revenue,
    roas = revenue / cost; NULL when the denominator is 0. DOUBLE, unrounded (round for display).
-#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}


{#- The four ratios of one policy (`same_seller` / `any_seller`). -#}
{% macro policy_ratios(policy, cost='cost', clicks='clicks') -%}
        {{ safe_divide('sale_units_' ~ policy, clicks) }} as cr_{{ policy }},
        {{ safe_divide(cost, 'sale_units_' ~ policy) }} as cpo_{{ policy }},
        {{ safe_divide(cost, 'revenue_' ~ policy) }} as cos_{{ policy }},
        {{ safe_divide('revenue_' ~ policy, cost) }} as roas_{{ policy }}
{%- endmacro %}
