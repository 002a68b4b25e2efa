-- one row per month, advertiser_id, seller_id, currency (the statement's grain: a currency change
-- within a month splits it): the marketplace's ad P&L, in the row's currency.
-- media_cost and revenues exact (DECIMAL(38, 9)); billed amounts rounded ONCE each, half away from
-- zero, to the currency's minor unit (macros/billing.sql): ad_billing_amount (from the statement),
-- ad_margin = ad_billing_amount - media_cost, commission_amount = sum over the month's days of
-- revenue_same_seller * commission_rate valid that day; contribution_margin = ad_margin +
-- commission_amount (both already at the minor unit: it foots exactly).
{%- set grain = ['month', 'advertiser_id', 'seller_id', 'currency'] %}
with

statements as (

    select * from {{ ref('fct_seller_monthly_statement') }}

),

billing_daily as (

    select * from {{ ref('fct_seller_billing_daily') }}

),

commissions as (

    select
        cast(date_trunc('month', report_date) as date) as month,
        advertiser_id,
        seller_id,
        -- per currency, as the statement: a month split by a currency change bills each part
        currency,
        cast(sum(commission_exact) as decimal(38, 15)) as commission_exact
    from billing_daily
    group by all

),

month_rates as (

    -- the directory's commission rate over the calendar month: one value all month, or changed
    {{ seller_month_rate('statements', 'commission_rate', grain) }}

),

amounts as (

    select
        statements.*,
        month_rates.commission_rate,
        month_rates.commission_rate_changed_in_month,
        {{ round_to_minor_unit(
            'statements.ad_billing_amount - statements.media_cost',
            'statements.currency_minor_unit',
        ) }} as ad_margin,
        {{ round_to_minor_unit(
            'coalesce(commissions.commission_exact, 0)',
            'statements.currency_minor_unit',
        ) }} as commission_amount

    from statements
    inner join month_rates
        on statements.month = month_rates.month
        and statements.advertiser_id = month_rates.advertiser_id
        and statements.seller_id = month_rates.seller_id
        and statements.currency = month_rates.currency
    left join commissions
        on statements.month = commissions.month
        and statements.advertiser_id = commissions.advertiser_id
        and statements.seller_id = commissions.seller_id
        and statements.currency = commissions.currency

),

final as (

    select
        month,
        advertiser_id,
        seller_id,
        seller_name,
        currency,
        currency_minor_unit,
        is_in_seller_directory,
        media_cost,
        ad_fee_rate,
        ad_fee_rate_changed_in_month,
        ad_billing_amount,
        ad_margin,
        revenue_same_seller,
        revenue_any_seller,
        commission_rate,
        commission_rate_changed_in_month,
        commission_amount,
        cast(ad_margin + commission_amount as {{ billed_money_type() }}) as contribution_margin,
        roas_same_seller,
        roas_any_seller

    from amounts

)

select * from final
order by month, advertiser_id, seller_id, currency
