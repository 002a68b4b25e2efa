-- one row per advertiser_id, seller_id, campaign_id: the latest snapshot row of each
-- seller-campaign
with

snapshots as (

    select * from {{ ref('stg_mpo__seller_campaigns') }}
    -- bounded read: the snapshots of the last var('metadata_lookback_days') days
    where {{ recent_snapshots_predicate('metadata_seller_campaigns') }}

),

latest as (

    {{ latest_snapshot(
        'snapshots',
        ['advertiser_id', 'seller_id', 'campaign_id'],
        scope=['advertiser_id'],
    ) }}

)

select * from latest
