-- one row per advertiser_id, budget_id: the latest snapshot row of each budget
with

snapshots as (

    select * from {{ ref('stg_mpo__budgets') }}
    -- bounded read: the snapshots of the last var('metadata_lookback_days') days
    where {{ recent_snapshots_predicate('metadata_budgets') }}

),

latest as (

    {{ latest_snapshot('snapshots', ['advertiser_id', 'budget_id'], scope=['advertiser_id']) }}

)

select * from latest
