-- one row per month, advertiser_id, seller_id: the marketplace's ad P&L (DESIGN.md §7).
-- ad_margin = ad_billing_amount - media_cost; commission_amount = revenue_same_seller *
-- commission_rate, rounded half away from zero to the cent; contribution_margin = ad_margin +
-- commission_amount. Every amount is in the row's currency.
with

statements as (

    select * from {{ ref('fct_seller_monthly_statement') }}

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

amounts as (

    select
        statements.*,
        cast(coalesce(sellers.commission_rate, 0) as decimal(10, 6)) as commission_rate,
        cast(statements.ad_billing_amount - statements.media_cost as decimal(18, 4)) as ad_margin,
        cast(round(statements.revenue_same_seller * coalesce(sellers.commission_rate, 0), 2) as decimal(18, 4))
            as commission_amount

    from statements
    left join sellers
        on statements.advertiser_id = sellers.advertiser_id
        and statements.seller_id = sellers.seller_id

),

final as (

    select
        month,
        advertiser_id,
        seller_id,
        seller_name,
        currency,
        is_in_seller_directory,
        media_cost,
        ad_fee_rate,
        ad_billing_amount,
        ad_margin,
        revenue_same_seller,
        revenue_any_seller,
        commission_rate,
        commission_amount,
        cast(ad_margin + commission_amount as decimal(18, 4)) as contribution_margin,
        roas_same_seller,
        roas_any_seller

    from amounts

)

select * from final
order by month, advertiser_id, seller_id
