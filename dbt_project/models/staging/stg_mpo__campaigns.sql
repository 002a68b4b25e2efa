-- one row per snapshot_date, advertiser_id and campaign_id
with

source as (

    select * from {{ lake_source('mpo_lake', 'metadata_campaigns') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        cast("advertiserId" as bigint) as advertiser_id,
        cast(id as bigint) as campaign_id,
        cast("campaignName" as varchar) as campaign_name,
        cast("adSetDeliveryStatus" as varchar) as delivery_status,
        cast(status as bigint) as status_code,
        cast(api_version as varchar) as api_version,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

)

select * from renamed
