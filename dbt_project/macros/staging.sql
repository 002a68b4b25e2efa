{#- Metric columns of every stats file, renamed and cast; money exact (macros/money.sql). -#}
{% macro stats_metric_columns() -%}
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(cost as {{ money_type() }}) as cost,
        cast("saleUnits" as bigint) as sale_units,
        cast(revenue as {{ money_type() }}) as revenue,
        -- the API's rounded ratios, kept for reconciliation only (never summed, never in facts)
        cast(cr as double) as api_cr,
        cast(cpo as double) as api_cpo,
        cast(cos as double) as api_cos,
        cast(roas as double) as api_roas
{%- endmacro %}


{#- Lineage columns the ingestion layer adds to every stats row (docs/lake.md). -#}
{% macro stats_lineage_columns() -%}
        cast(currency as varchar) as currency,
        cast(time_zone as varchar) as time_zone,
        cast(interval_size as varchar) as interval_size,
        cast(api_version as varchar) as api_version,
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end,
        cast(extracted_at as timestamp with time zone) as extracted_at
{%- endmacro %}


{#-
    Key columns of a stats file, renamed and cast, in this order: report_date, advertiser_id, the
    ids of `entities` (e.g. ['campaign', 'seller'] -> campaign_id, seller_id from the API's
    "campaignId", "sellerId"), attribution_policy, the names of `named` (e.g. ['seller'] ->
    seller_name from "sellerName"), api_day. No trailing comma.
-#}
{% macro stats_key_columns(entities, named=[]) -%}
        cast(report_date as date) as report_date,
        cast("advertiserId" as bigint) as advertiser_id,
        {%- for entity in entities %}
        cast("{{ entity }}Id" as bigint) as {{ entity }}_id,
        {%- endfor %}
        cast(policy as varchar) as attribution_policy,
        {%- for entity in named %}
        cast("{{ entity }}Name" as varchar) as {{ entity }}_name,
        {%- endfor %}
        cast(day as date) as api_day
{%- endmacro %}
