-- one row per report_date, advertiser_id, campaign_id and attribution_policy
with

source as (

    select * from {{ lake_source('mpo_lake', 'stats_campaigns') }}

),

renamed as (

    select
        -- keys
        cast(report_date as date) as report_date,
        cast("advertiserId" as bigint) as advertiser_id,
        cast("campaignId" as bigint) as campaign_id,
        cast(policy as varchar) as attribution_policy,
        cast(day as date) as api_day,

        -- additive metrics: counts BIGINT, money DECIMAL(18, 4) cast per row before any sum
        {{ stats_metric_columns() }},

        -- lineage
        {{ stats_lineage_columns() }}

    from source

)

select * from renamed
