-- one row per report_date, advertiser_id, campaign_id, seller_id: both policies side by side
with

seller_campaign_stats as (

    select * from {{ ref('stg_mpo__seller_campaign_stats') }}

),

pivoted as (

    {{ pivot_policies(
        'seller_campaign_stats',
        ['report_date', 'advertiser_id', 'campaign_id', 'seller_id'],
        descriptive=['seller_name']
    ) }}

)

select * from pivoted
