{#-
    pivot_policies(relation, keys, descriptive=[]): one row per `keys` from long staging rows (one
    per attribution policy) to the wide shape of the daily facts.

    - impressions, clicks and cost do not depend on the policy: they are taken once, from the
      AnySeller row (from the SameSeller row only if AnySeller is missing). The SameSeller values are
      kept as `*_same_seller_row` check columns; tests assert they are identical.
    - sale_units and revenue are policy dependent: `*_same_seller` and `*_any_seller`. A policy
      without a row for the key counts as 0 (the API leaves out rows without activity).
    - `*_row_count` columns expose how many staging rows each policy had (must be 0 or 1);
      `cost_policy_tolerance` is how far the two policies' costs may differ by per-row rounding.
    Sums are cast back to BIGINT (DuckDB widens them to HUGEINT) and money stays unrounded
    `decimal(38, 9)`.
-#}
{% macro pivot_policies(relation, keys, descriptive=[]) -%}
    {%- set any = "attribution_policy = 'AnySeller'" -%}
    {%- set same = "attribution_policy = 'SameSeller'" -%}
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for column in descriptive %}
        coalesce(max({{ column }}) filter (where {{ any }}), max({{ column }})) as {{ column }},
        {%- endfor %}
        coalesce(max(currency) filter (where {{ any }}), max(currency)) as currency,
        coalesce(max(time_zone) filter (where {{ any }}), max(time_zone)) as time_zone,

        {%- for metric, type in [('impressions', 'bigint'), ('clicks', 'bigint'), ('cost', money_type())] %}
        cast(coalesce(
            sum({{ metric }}) filter (where {{ any }}),
            sum({{ metric }}) filter (where {{ same }})
        ) as {{ type }}) as {{ metric }},
        {%- endfor %}

        cast(coalesce(sum(sale_units) filter (where {{ same }}), 0) as bigint) as sale_units_same_seller,
        cast(coalesce(sum(revenue) filter (where {{ same }}), 0) as {{ money_type() }}) as revenue_same_seller,
        cast(coalesce(sum(sale_units) filter (where {{ any }}), 0) as bigint) as sale_units_any_seller,
        cast(coalesce(sum(revenue) filter (where {{ any }}), 0) as {{ money_type() }}) as revenue_any_seller,

        -- checks: policy-independent metrics as reported by each policy, and rows per policy
        cast(sum(impressions) filter (where {{ same }}) as bigint) as impressions_same_seller_row,
        cast(sum(clicks) filter (where {{ same }}) as bigint) as clicks_same_seller_row,
        cast(sum(cost) filter (where {{ same }}) as {{ money_type() }}) as cost_same_seller_row,
        cast(sum(impressions) filter (where {{ any }}) as bigint) as impressions_any_seller_row,
        cast(sum(clicks) filter (where {{ any }}) as bigint) as clicks_any_seller_row,
        cast(sum(cost) filter (where {{ any }}) as {{ money_type() }}) as cost_any_seller_row,
        -- the API rounds each row on its own: the two policies' costs of one row may differ by half
        -- a unit of each one's last decimal
        max(0.5 / pow(10, {{ money_decimals('cost') }})) filter (where {{ same }})
            + max(0.5 / pow(10, {{ money_decimals('cost') }})) filter (where {{ any }})
            as cost_policy_tolerance,
        cast(count(*) filter (where {{ same }}) as bigint) as same_seller_row_count,
        cast(count(*) filter (where {{ any }}) as bigint) as any_seller_row_count,
        cast(count(*) filter (where not ({{ same }} or {{ any }})) as bigint) as unknown_policy_row_count,

        max(extracted_at) as extracted_at

    from {{ relation }}
    group by
        {%- for key in keys %}
        {{ key }}{{ "," if not loop.last }}
        {%- endfor %}
{%- endmacro %}


{#-
    SQL: every row of `relation` (report_date, advertiser_id, currency, ...) with its currency
    replaced by the one /advertisers showed on report_date (int_advertiser_currency_daily), kept as
    stamped at extraction when that day has no snapshot of its own.
-#}
{% macro currency_of_report_date(relation) -%}
    select {{ relation }}.* replace (coalesce(currencies.currency, {{ relation }}.currency) as currency)
    from {{ relation }}
    left join {{ ref('int_advertiser_currency_daily') }} as currencies
        on {{ relation }}.advertiser_id = currencies.advertiser_id
        and {{ relation }}.report_date = currencies.currency_date
{%- endmacro %}
