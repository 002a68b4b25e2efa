{{ config(**daily_fact_config()) }}
-- one row per report_date, advertiser_id, campaign_id, seller_id
-- Incremental: a run with vars min_report_date / max_report_date rebuilds exactly that window
-- (old rows of the window deleted, including days that became empty); without vars, or when the
-- table is created or fully refreshed, everything in the lake is built.

with

pivoted as (

    {{ daily_fact_rows(ref('int_seller_campaign_stats_daily_pivoted')) }}

),

final as (

    select
        report_date,
        advertiser_id,
        campaign_id,
        seller_id,
        seller_name,
        currency,

        {{ daily_fact_measures() }},

        time_zone,
        extracted_at

    from pivoted

)

select * from final
order by report_date, advertiser_id, campaign_id, seller_id
