-- one row per snapshot_date, advertiser_id, seller_id and campaign_id
with

source as (

    select * from {{ lake_source('mpo_lake', 'metadata_seller_campaigns') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        cast("advertiserId" as bigint) as advertiser_id,
        cast("sellerId" as bigint) as seller_id,
        cast("campaignId" as bigint) as campaign_id,
        cast(id as varchar) as seller_campaign_id,
        cast(bid as decimal(18, 4)) as bid,
        cast("suspendedSince" as timestamp with time zone) as suspended_since,
        cast("suspensionReasons" as varchar[]) as suspension_reasons,
        -- MPO: a seller-campaign delivers when it is not suspended and has a positive bid
        coalesce("suspendedSince" is null and bid > 0, false) as is_active,
        cast(api_version as varchar) as api_version,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

)

select * from renamed
