-- one row per snapshot_date, advertiser_id and budget_id
with

source as (

    select * from {{ lake_source('mpo_lake', 'metadata_budgets') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        cast("advertiserId" as bigint) as advertiser_id,
        cast(id as bigint) as budget_id,
        cast("sellerId" as bigint) as seller_id,
        cast("campaignIds" as bigint[]) as campaign_ids,
        cast("budgetType" as varchar) as budget_type,
        cast(amount as decimal(18, 4)) as amount,
        cast("startDate" as date) as start_date,
        cast("endDate" as date) as end_date,
        cast("isSuspended" as boolean) as is_suspended,
        cast(spend as decimal(18, 4)) as spend,
        cast(status as varchar) as status,
        cast(api_version as varchar) as api_version,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

)

select * from renamed
