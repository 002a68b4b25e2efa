-- one row per report_date, advertiser_id, campaign_id: both policies side by side
with

campaign_stats as (

    select * from {{ ref('stg_mpo__campaign_stats') }}

),

pivoted as (

    {{ pivot_policies(
        'campaign_stats',
        ['report_date', 'advertiser_id', 'campaign_id']
    ) }}

)

select * from pivoted
