{{ config(schema='ops', materialized='table', tags=['ops']) }}
-- one row per advertiser_id, campaign_id and seller_id that went dark: active (not suspended, a
-- positive bid) with a current budget that is not used up, at least var('ops_dark_min_clicks')
-- clicks in the var('ops_dark_baseline_minutes') minutes before the last hour, and none in the
-- last 60 minutes before `as_of` (the pipeline's clock minus the API's latency,
-- ops_realtime_horizon). The advertiser's newest export must claim that whole hour: then a total
-- outage (delivery stopped, exports without its minutes) makes every busy seller-campaign go dark
-- an hour after it began, while a stale or missing export makes nothing (the freshness checks fire
-- instead). Flags delivery that stopped; a monitoring signal only.
{%- set dark = 60 %}
{%- set baseline = var('ops_dark_baseline_minutes', 60) | int %}

with

horizon as (

    select * from {{ ref('ops_realtime_horizon') }}

),

covered as (

    -- the advertisers whose newest export claims the whole dark hour: elsewhere silence means
    -- nothing (an export skipped, stale or still to come)
    select x.advertiser_id
    from (
        select
            unnest(advertiser_id_list) as advertiser_id,
            window_start,
            window_end,
            requested_at,
            extracted_at
        from {{ ref('ops_realtime_exports') }}
    ) as x
    cross join horizon as h
    qualify
        row_number() over (
            partition by x.advertiser_id order by x.requested_at desc, x.extracted_at desc
        ) = 1
        and x.window_start <= h.as_of - to_minutes({{ dark }})
        and x.window_end >= h.as_of

),

activity as (

    select
        m.advertiser_id,
        m.campaign_id,
        m.seller_id,
        max(m.seller_name) as seller_name,
        cast(
            coalesce(
                sum(m.clicks) filter (where m.minute_start >= h.as_of - to_minutes({{ dark }})), 0
            ) as bigint
        ) as clicks_last_60m,
        cast(
            coalesce(
                sum(m.clicks) filter (where m.minute_start < h.as_of - to_minutes({{ dark }})), 0
            ) as bigint
        ) as clicks_before,
        max(m.minute_start) filter (where m.clicks > 0) as last_click_at,
        any_value(h.as_of) as as_of
    from {{ ref('ops_realtime_minutes') }} as m
    cross join horizon as h
    inner join covered as c on m.advertiser_id = c.advertiser_id
    where m.minute_start >= h.as_of - to_minutes({{ dark + baseline }})
    group by m.advertiser_id, m.campaign_id, m.seller_id

),

delivering as (

    select
        advertiser_id,
        campaign_id,
        seller_id,
        bid
    from {{ ref('int_seller_campaigns_latest') }}
    where is_in_latest_snapshot and is_active and bid > 0

),

funded as (

    select *
    from {{ ref('ops_current_budgets') }}
    where amount is null or remaining > 0

)

select
    a.advertiser_id,
    a.campaign_id,
    a.seller_id,
    a.seller_name,
    a.as_of,
    a.as_of - to_minutes({{ dark }}) as dark_since,
    a.last_click_at,
    a.clicks_before,
    a.clicks_last_60m,
    d.bid,
    f.budget_id,
    f.budget_type,
    f.amount as budget_amount,
    f.remaining as budget_remaining
from activity as a
inner join delivering as d
    on a.advertiser_id = d.advertiser_id
    and a.campaign_id = d.campaign_id
    and a.seller_id = d.seller_id
inner join funded as f
    on a.advertiser_id = f.advertiser_id
    and a.campaign_id = f.campaign_id
    and a.seller_id = f.seller_id
where
    a.clicks_last_60m = 0
    and a.clicks_before >= {{ var('ops_dark_min_clicks', 3) | int }}
