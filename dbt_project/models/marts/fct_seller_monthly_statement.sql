-- one row per month, advertiser_id, seller_id, currency: what each seller is invoiced for its ads.
-- Sellers are keyed by seller_id (a renamed seller keeps one statement: its latest name, from
-- dim_sellers, and the directory rates of that name); a currency change within the month gives
-- one row per currency, each summing only its own days.
-- media_cost = sum(cost), exact (DECIMAL(38, 9), never rounded). ad_billing_amount = sum over the
-- month's days of cost * (1 + ad_fee_rate valid that day), rounded ONCE on this row, half away from
-- zero, to the minor unit of the currency (seed currency_minor_units; macros/billing.sql).
-- ad_fee_rate is the rate when one held all month, else NULL with ad_fee_rate_changed_in_month.
-- Closed months are frozen separately in finance.month_close_statements.
with

billing_daily as (

    select * from {{ ref('fct_seller_billing_daily') }}

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

minor_units as (

    select * from {{ ref('currency_minor_units') }}

),

monthly as (

    select
        cast(date_trunc('month', report_date) as date) as month,
        advertiser_id,
        seller_id,
        -- grouped by currency too: a sum never mixes currencies (a change splits the month)
        currency,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(cost) as decimal(38, 9)) as media_cost,
        cast(sum(ad_billing_exact) as decimal(38, 15)) as ad_billing_exact,
        cast(sum(sale_units_same_seller) as bigint) as sale_units_same_seller,
        cast(sum(revenue_same_seller) as decimal(38, 9)) as revenue_same_seller,
        cast(sum(sale_units_any_seller) as bigint) as sale_units_any_seller,
        cast(sum(revenue_any_seller) as decimal(38, 9)) as revenue_any_seller
    from billing_daily
    group by all

),

month_rates as (

    -- the directory's ad fee rate over the calendar month: one value all month, or changed
    {{ seller_month_rate('monthly', 'ad_fee_rate', ['month', 'advertiser_id', 'seller_id']) }}

),

final as (

    select
        monthly.month,
        monthly.advertiser_id,
        monthly.seller_id,
        sellers.seller_name,
        monthly.currency,
        -- NULL when the currency is missing from the seed: billed amounts are then NULL and the
        -- data tests fail the build (never a silent default)
        cast(minor_units.minor_unit as integer) as currency_minor_unit,
        coalesce(sellers.is_in_seller_directory, false) as is_in_seller_directory,
        monthly.impressions,
        monthly.clicks,
        monthly.media_cost,
        month_rates.ad_fee_rate,
        month_rates.ad_fee_rate_changed_in_month,
        {{ round_to_minor_unit('monthly.ad_billing_exact', 'minor_units.minor_unit') }}
            as ad_billing_amount,
        monthly.sale_units_same_seller,
        monthly.revenue_same_seller,
        monthly.sale_units_any_seller,
        monthly.revenue_any_seller,
        {{ policy_ratios('same_seller', cost='monthly.media_cost', clicks='monthly.clicks') }},
        {{ policy_ratios('any_seller', cost='monthly.media_cost', clicks='monthly.clicks') }}

    from monthly
    inner join month_rates
        on monthly.month = month_rates.month
        and monthly.advertiser_id = month_rates.advertiser_id
        and monthly.seller_id = month_rates.seller_id
    left join sellers
        on monthly.advertiser_id = sellers.advertiser_id
        and monthly.seller_id = sellers.seller_id
    left join minor_units
        on monthly.currency = minor_units.currency

)

select * from final
order by month, advertiser_id, seller_id, currency
