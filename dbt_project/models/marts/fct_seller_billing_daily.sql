{{ config(materialized='view') }}
-- one row per report_date, advertiser_id, seller_id of marts.fct_seller_stats_daily: the rates of
-- the seller directory row valid on that day (0 without one) and the day's exact, unrounded billing
-- bases. Statements and the P&L sum these over a month and round once (macros/billing.sql). A view:
-- nothing is copied, it reads the daily fact as it is.
with

seller_stats as (

    select * from {{ ref('fct_seller_stats_daily') }}

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

rates_history as (

    select * from {{ ref('dim_seller_rates_history') }}

),

rated as (

    select
        seller_stats.report_date,
        seller_stats.advertiser_id,
        seller_stats.seller_id,
        sellers.seller_name,
        seller_stats.currency,
        coalesce(sellers.is_in_seller_directory, false) as is_in_seller_directory,
        rates_history.seller_name is not null as has_directory_rates,
        rates_history.valid_from as rates_valid_from,
        cast(coalesce(rates_history.ad_fee_rate, 0) as decimal(10, 6)) as ad_fee_rate,
        cast(coalesce(rates_history.commission_rate, 0) as decimal(10, 6)) as commission_rate,
        seller_stats.impressions,
        seller_stats.clicks,
        -- money exact, whatever the fact's decimal type (cast is lossless from narrower decimals)
        cast(seller_stats.cost as decimal(38, 9)) as cost,
        seller_stats.sale_units_same_seller,
        cast(seller_stats.revenue_same_seller as decimal(38, 9)) as revenue_same_seller,
        seller_stats.sale_units_any_seller,
        cast(seller_stats.revenue_any_seller as decimal(38, 9)) as revenue_any_seller

    from seller_stats
    left join sellers
        on seller_stats.advertiser_id = sellers.advertiser_id
        and seller_stats.seller_id = sellers.seller_id
    left join rates_history
        on sellers.seller_name = rates_history.seller_name
        and (
            rates_history.valid_from is null
            or seller_stats.report_date >= rates_history.valid_from
        )
        and (
            rates_history.valid_to is null
            or seller_stats.report_date < rates_history.valid_to
        )

),

final as (

    select
        *,
        -- exact products (9 + 6 decimals): never rounded here
        cast(cost * (1 + ad_fee_rate) as decimal(38, 15)) as ad_billing_exact,
        cast(revenue_same_seller * commission_rate as decimal(38, 15)) as commission_exact

    from rated

)

select * from final
