{{ config(schema='ops', materialized='table', tags=['ops']) }}
-- one row per advertiser_id, campaign_id, seller_id and hour_start (UTC): the latest real-time
-- clicks, displays and spend of the recent hours (the newest hour is partial). Raw, monitoring
-- only.
with

minutes as (

    select * from {{ ref('ops_realtime_minutes') }}

),

advertisers as (

    select
        advertiser_id,
        currency
    from {{ ref('int_advertisers_latest') }}

),

hourly as (

    select
        advertiser_id,
        campaign_id,
        seller_id,
        -- truncated in UTC whatever the session time zone
        date_trunc('hour', minute_start at time zone 'UTC') at time zone 'UTC' as hour_start,
        max(seller_name) as seller_name,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(displays) as bigint) as displays,
        cast(sum(cost) as decimal(18, 4)) as cost,
        max(currency) as lake_currency,
        cast(count(*) as bigint) as active_minutes,
        max(case when clicks > 0 then minute_start end) as last_click_at,
        max(extracted_at) as extracted_at
    from minutes
    group by advertiser_id, campaign_id, seller_id, hour_start

)

select
    h.advertiser_id,
    h.campaign_id,
    h.seller_id,
    h.seller_name,
    h.hour_start,
    coalesce(h.lake_currency, a.currency) as currency,
    h.clicks,
    h.displays,
    h.cost,
    h.active_minutes,
    h.last_click_at,
    h.extracted_at
from hourly as h
left join advertisers as a on h.advertiser_id = a.advertiser_id
