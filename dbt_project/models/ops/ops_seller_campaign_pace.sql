{{ config(schema='ops', materialized='table', tags=['ops']) }}
-- one row per advertiser_id, campaign_id and seller_id with real-time activity in the last
-- var('ops_pace_window_minutes') minutes: the spend run rate (last 60 minutes) against the
-- seller-campaign's current budget. `budget_spend` is the API's own figure, which lags clicks.
-- Raw real-time data: a monitoring signal, never a billing figure.
with

horizon as (

    select * from {{ ref('ops_realtime_horizon') }}

),

recent as (

    select
        m.advertiser_id,
        m.campaign_id,
        m.seller_id,
        max(m.seller_name) as seller_name,
        max(m.currency) as lake_currency,
        cast(
            coalesce(sum(m.clicks) filter (where m.minute_start >= h.as_of - to_minutes(60)), 0)
            as bigint
        ) as clicks_last_60m,
        cast(
            coalesce(sum(m.cost) filter (where m.minute_start >= h.as_of - to_minutes(60)), 0)
            as decimal(18, 4)
        ) as cost_last_60m,
        cast(sum(m.clicks) as bigint) as clicks_window,
        cast(sum(m.cost) as decimal(18, 4)) as cost_window,
        any_value(h.as_of) as as_of
    from {{ ref('ops_realtime_minutes') }} as m
    cross join horizon as h
    where m.minute_start >= h.as_of - to_minutes({{ var('ops_pace_window_minutes', 120) | int }})
    group by m.advertiser_id, m.campaign_id, m.seller_id

),

joined as (

    select
        r.*,
        coalesce(r.lake_currency, a.currency) as currency,
        b.budget_id,
        b.budget_type,
        b.amount as budget_amount,
        b.spend as budget_spend,
        b.remaining as budget_remaining,
        b.end_date as budget_end_date,
        -- days of the budget left, today (the as_of day, UTC) included; null when open-ended
        datediff('day', cast(r.as_of at time zone 'UTC' as date), b.end_date) + 1 as days_left
    from recent as r
    left join {{ ref('int_advertisers_latest') }} as a on r.advertiser_id = a.advertiser_id
    left join {{ ref('ops_current_budgets') }} as b
        on r.advertiser_id = b.advertiser_id
        and r.seller_id = b.seller_id
        and r.campaign_id = b.campaign_id

),

paced as (

    select
        *,
        cost_last_60m as hourly_run_rate,
        cost_last_60m * 24 as projected_daily_spend,
        -- (greatest() ignores NULLs in DuckDB: keep open-ended budgets NULL explicitly)
        case
            when days_left is not null then budget_remaining / greatest(days_left, 1)
        end as daily_allowance,
        case
            when cost_last_60m > 0 then cast(budget_remaining / cost_last_60m as double)
        end as hours_to_exhaust
    from joined

)

select
    advertiser_id,
    campaign_id,
    seller_id,
    seller_name,
    currency,
    as_of,
    clicks_last_60m,
    cost_last_60m,
    clicks_window,
    cost_window,
    hourly_run_rate,
    projected_daily_spend,
    budget_id,
    budget_type,
    budget_amount,
    budget_spend,
    budget_remaining,
    budget_end_date,
    days_left,
    daily_allowance,
    cast(projected_daily_spend / nullif(daily_allowance, 0) as double) as pace_ratio,
    hours_to_exhaust,
    -- spending, on a capped budget, and: already past it, or at this rate past it within a day,
    -- or faster than var('ops_overpace_ratio') times what the rest of the budget allows per day
    coalesce(
        hourly_run_rate > 0 and budget_amount is not null and (
            budget_remaining <= 0
            or hours_to_exhaust < 24
            or projected_daily_spend > {{ var('ops_overpace_ratio', 1.5) }} * daily_allowance
        ),
        false
    ) as is_overpacing
from paced
