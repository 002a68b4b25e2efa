-- one row per month, advertiser_id, endpoint, attribution_policy and the endpoint's dimension
-- (seller_id for sellers, campaign_id for campaigns, both for seller_campaigns)
with

source as (

    select * from {{ lake_source('mpo_lake', 'control_monthly') }}

),

renamed as (

    select
        -- keys
        cast(month as date) as month,
        cast("advertiserId" as bigint) as advertiser_id,
        cast(endpoint as varchar) as endpoint,
        cast(attribution_policy as varchar) as attribution_policy,
        cast("campaignId" as bigint) as campaign_id,
        cast("sellerId" as bigint) as seller_id,
        cast("sellerName" as varchar) as seller_name,

        -- additive metrics: counts BIGINT, money DECIMAL(18, 4) cast per row before any sum
        {{ stats_metric_columns() }},

        -- lineage
        {{ stats_lineage_columns() }}

    from source

)

select * from renamed
