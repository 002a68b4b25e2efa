-- one row per report_date, advertiser_id, campaign_id: both policies side by side; currency = the
-- currency /advertisers showed on report_date (int_advertiser_currency_daily), else the one
-- stamped at extraction (the day has no snapshot of its own)
with

campaign_stats as (

    select * from {{ ref('stg_mpo__campaign_stats') }}

),

pivoted as (

    {{ pivot_policies(
        'campaign_stats',
        ['report_date', 'advertiser_id', 'campaign_id']
    ) }}

),

currencies as (

    select * from {{ ref('int_advertiser_currency_daily') }}

),

final as (

    select pivoted.* replace (coalesce(currencies.currency, pivoted.currency) as currency)
    from pivoted
    left join currencies
        on pivoted.advertiser_id = currencies.advertiser_id
        and pivoted.report_date = currencies.currency_date

)

select * from final
