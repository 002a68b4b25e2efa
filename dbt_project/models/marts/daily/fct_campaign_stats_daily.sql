{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        on_schema_change='fail',
        tags=['daily'],
    )
}}
-- one row per report_date, advertiser_id, campaign_id
-- Incremental: a run with vars min_report_date / max_report_date rebuilds exactly that window
-- (old rows of the window deleted, including days that became empty); without vars, or when the
-- table is created or fully refreshed, everything in the lake is built.

with

pivoted as (

    select * from {{ ref('int_campaign_stats_daily_pivoted') }}
    {%- if is_incremental() %}
    where {{ report_window_predicate('report_date') }}
    {%- endif %}

),

final as (

    select
        report_date,
        advertiser_id,
        campaign_id,
        currency,

        impressions,
        clicks,
        cost,

        sale_units_same_seller,
        revenue_same_seller,
        {{ policy_ratios('same_seller') }},

        sale_units_any_seller,
        revenue_any_seller,
        {{ policy_ratios('any_seller') }},

        time_zone,
        extracted_at

    from pivoted

)

select * from final
order by report_date, advertiser_id, campaign_id
