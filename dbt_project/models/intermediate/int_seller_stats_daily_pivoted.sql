-- one row per report_date, advertiser_id, seller_id: both policies side by side; currency = the
-- currency /advertisers showed on report_date (int_advertiser_currency_daily), else the one
-- stamped at extraction (the day has no snapshot of its own)
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

),

final as (

    {{ currency_of_report_date('pivoted') }}

)

select * from final
