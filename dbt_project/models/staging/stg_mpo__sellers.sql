-- one row per snapshot_date, advertiser_id and seller_id
with

source as (

    select * from {{ lake_source('mpo_lake', 'metadata_sellers') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        cast("advertiserId" as bigint) as advertiser_id,
        cast(id as bigint) as seller_id,
        cast("sellerName" as varchar) as seller_name,
        cast(api_version as varchar) as api_version,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

)

select * from renamed
