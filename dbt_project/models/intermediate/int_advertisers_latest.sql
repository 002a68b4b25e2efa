-- one row per advertiser_id: the latest snapshot row of each advertiser
with

snapshots as (

    select * from {{ ref('stg_mpo__advertisers') }}
    -- bounded read: the snapshots of the last var('metadata_lookback_days') days
    where {{ recent_snapshots_predicate('metadata_advertisers') }}

),

latest as (

    {{ latest_snapshot('snapshots', ['advertiser_id'], scope=[]) }}

)

select * from latest
