-- one row per snapshot_date and advertiser_id
with

source as (

    select * from {{ lake_source('mpo_lake', 'metadata_advertisers') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        cast(id as bigint) as advertiser_id,
        cast("advertiserName" as varchar) as advertiser_name,
        cast("currencyName" as varchar) as currency,
        cast("timeZoneId" as varchar) as time_zone,
        cast(api_version as varchar) as api_version,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

)

select * from renamed
