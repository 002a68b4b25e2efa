-- one row per advertiser_id, seller_id: the latest snapshot row of each seller
with

snapshots as (

    select * from {{ ref('stg_mpo__sellers') }}
    -- bounded read: the snapshots of the last var('metadata_lookback_days') days
    where {{ recent_snapshots_predicate('metadata_sellers') }}

),

latest as (

    {{ latest_snapshot('snapshots', ['advertiser_id', 'seller_id'], scope=['advertiser_id']) }}

)

select * from latest
