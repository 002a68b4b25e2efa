-- one row per report_date, advertiser_id, seller_id: both policies side by side
with

seller_stats as (

    select * from {{ ref('stg_mpo__seller_stats') }}

),

pivoted as (

    {{ pivot_policies(
        'seller_stats',
        ['report_date', 'advertiser_id', 'seller_id'],
        descriptive=['seller_name']
    ) }}

)

select * from pivoted
