-- one row per report_date, advertiser_id, campaign_id and attribution_policy
with

source as (

    select * from {{ lake_source('mpo_lake', 'stats_campaigns') }}

),

renamed as (

    select
        -- keys
        {{ stats_key_columns(['campaign']) }},

        -- additive metrics: counts BIGINT, money DECIMAL(18, 4) cast per row before any sum
        {{ stats_metric_columns() }},

        -- lineage
        {{ stats_lineage_columns() }}

    from source

)

select * from renamed
