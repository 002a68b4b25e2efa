{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row per advertiser_id, campaign_id, seller_id and minute_start: the real-time exports of
-- the last var('ops_realtime_days') export days, each minute taken from the newest export whose
-- claim (its advertisers, its window) holds it (exports overlap; a newer one supersedes what an
-- older one said about the same minutes, also when it says nothing: an empty export during an
-- outage erases nothing it does not claim, and claims silence for what it does). Newest = latest
-- requested_at (the pipeline's clock), then latest extracted_at.
-- Raw data from the Real-Time API: monitoring only, never billing (no marts/finance model may ref
-- it).
{%- set newest = newest_partition_date(lake_glob('realtime_exports'), 'export_date')
    if execute else none %}

with

source as (

    select * from {{ lake_source('mpo_lake', 'realtime_exports') }}
    {%- if newest is not none %}
        -- bounded read: hive pruning on export_date
        where
            export_date
            >= date '{{ newest }}' - to_days({{ (var('ops_realtime_days', 2) | int) - 1 }})
    {%- endif %}

),

renamed as (

    select
        cast(export_id as varchar) as export_id,
        cast(export_date as date) as export_date,
        cast(extracted_at as timestamp with time zone) as extracted_at,
        -- exports landed before requested_at was recorded are ordered by their download time
        cast(coalesce(requested_at, extracted_at) as timestamp with time zone) as requested_at,
        cast("advertiserId" as bigint) as advertiser_id,
        cast("campaignId" as bigint) as campaign_id,
        cast("sellerId" as bigint) as seller_id,
        cast("sellerName" as varchar) as seller_name,
        cast(interval_start as timestamp with time zone) as minute_start,
        cast(coalesce(bucket_minutes, 1) as bigint) as bucket_minutes,
        cast(clicks as bigint) as clicks,
        cast(displays as bigint) as displays,
        cast(cost as decimal(18, 4)) as cost,
        cast(currency as varchar) as currency,
        cast(lookback_minutes as bigint) as lookback_minutes

    from source

),

exports as (

    -- the window each logged export claims (the log also holds the exports without a row)
    select
        export_id,
        requested_at,
        extracted_at,
        window_start,
        window_end,
        advertiser_id_list
    from {{ ref('ops_realtime_exports') }}

),

newest_wins as (

    select r.*
    from renamed as r
    where not exists (
        select e.export_id
        from exports as e
        -- newer: requested later by the pipeline's clock, else downloaded later
        where
            (e.requested_at, e.extracted_at, e.export_id)
            > (r.requested_at, r.extracted_at, r.export_id)
            and list_contains(e.advertiser_id_list, r.advertiser_id)
            and r.minute_start >= e.window_start
            and r.minute_start < e.window_end
    )

),

final as (

    select * from newest_wins

)

select * from final
