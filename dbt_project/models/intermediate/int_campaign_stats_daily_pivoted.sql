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

final as (

    {{ currency_of_report_date('pivoted') }}

)

select * from final
