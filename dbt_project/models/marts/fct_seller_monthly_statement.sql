-- one row per month, advertiser_id, seller_id: what each seller is invoiced for its ads.
-- media_cost = sum(cost); ad_billing_amount = media_cost * (1 + ad_fee_rate), rounded half away
-- from zero to the cent on this row. Rates are the seller directory's current rates (closed months
-- are frozen separately in finance.month_close_statements).
with

seller_stats as (

    select * from {{ ref('fct_seller_stats_daily') }}

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

monthly as (

    select
        cast(date_trunc('month', report_date) as date) as month,
        advertiser_id,
        seller_id,
        -- grouped by currency too: a sum never mixes currencies (the grain test catches a change)
        currency,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(cost) as decimal(18, 4)) as media_cost,
        cast(sum(sale_units_same_seller) as bigint) as sale_units_same_seller,
        cast(sum(revenue_same_seller) as decimal(18, 4)) as revenue_same_seller,
        cast(sum(sale_units_any_seller) as bigint) as sale_units_any_seller,
        cast(sum(revenue_any_seller) as decimal(18, 4)) as revenue_any_seller
    from seller_stats
    group by all

),

final as (

    select
        monthly.month,
        monthly.advertiser_id,
        monthly.seller_id,
        sellers.seller_name,
        monthly.currency,
        coalesce(sellers.is_in_seller_directory, false) as is_in_seller_directory,
        monthly.impressions,
        monthly.clicks,
        monthly.media_cost,
        cast(coalesce(sellers.ad_fee_rate, 0) as decimal(10, 6)) as ad_fee_rate,
        cast(round(monthly.media_cost * (1 + coalesce(sellers.ad_fee_rate, 0)), 2) as decimal(18, 4))
            as ad_billing_amount,
        monthly.sale_units_same_seller,
        monthly.revenue_same_seller,
        monthly.sale_units_any_seller,
        monthly.revenue_any_seller,
        {{ policy_ratios('same_seller', cost='monthly.media_cost', clicks='monthly.clicks') }},
        {{ policy_ratios('any_seller', cost='monthly.media_cost', clicks='monthly.clicks') }}

    from monthly
    left join sellers
        on monthly.advertiser_id = sellers.advertiser_id
        and monthly.seller_id = sellers.seller_id

)

select * from final
order by month, advertiser_id, seller_id
