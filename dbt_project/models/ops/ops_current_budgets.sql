{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row per advertiser_id, seller_id and campaign_id with a current budget: the budget in
-- force (status Current, not suspended, still in the latest metadata snapshot; the newest one if
-- several).
with

budgets as (

    select
        advertiser_id,
        seller_id,
        unnest(campaign_ids) as campaign_id,
        budget_id,
        budget_type,
        amount,
        spend,
        start_date,
        end_date
    from {{ ref('int_budgets_latest') }}
    where
        lower(status) = 'current'
        and not coalesce(is_suspended, false)
        and is_in_latest_snapshot

)

select
    *,
    -- null for an uncapped budget (no amount)
    amount - coalesce(spend, 0) as remaining
from budgets
qualify row_number() over (
    partition by advertiser_id, seller_id, campaign_id
    order by start_date desc, budget_id desc
) = 1
