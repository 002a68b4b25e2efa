{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row per advertiser_id, campaign_id, seller_id and minute_start: the real-time exports of the
-- last var('ops_realtime_days') export days, each minute taken from the newest export covering it
-- (exports overlap; a newer one supersedes what an older one said about the same minutes).
-- Raw data from the Real-Time API: monitoring only, never billing (no marts/finance model may ref it).
{%- set newest = newest_partition_date(lake_glob('realtime_exports'), 'export_date') if execute else none %}

with

source as (

    select * from {{ lake_source('mpo_lake', 'realtime_exports') }}
    {%- if newest is not none %}
    -- bounded read: hive pruning on export_date
    where export_date >= date '{{ newest }}' - to_days({{ (var('ops_realtime_days', 2) | int) - 1 }})
    {%- endif %}

),

renamed as (

    select
        cast(export_id as varchar) as export_id,
        cast(export_date as date) as export_date,
        cast(extracted_at as timestamp with time zone) as extracted_at,
        cast("advertiserId" as bigint) as advertiser_id,
        cast("campaignId" as bigint) as campaign_id,
        cast("sellerId" as bigint) as seller_id,
        cast("sellerName" as varchar) as seller_name,
        cast(interval_start as timestamp with time zone) as minute_start,
        cast(clicks as bigint) as clicks,
        cast(displays as bigint) as displays,
        cast(cost as decimal(18, 4)) as cost,
        cast(currency as varchar) as currency,
        cast(lookback_minutes as bigint) as lookback_minutes

    from source

),

exports as (

    -- the minutes each export covers, read from its own rows: the API's clock is not ours
    select
        export_id,
        extracted_at,
        min(minute_start) as covered_from,
        max(minute_start) as covered_to
    from renamed
    group by export_id, extracted_at

),

newest_wins as (

    select r.*
    from renamed as r
    where not exists (
        select 1
        from exports as e
        where (e.extracted_at, e.export_id) > (r.extracted_at, r.export_id)
            and r.minute_start between e.covered_from and e.covered_to
    )

)

select * from newest_wins
