-- one row per advertiser_id, campaign_id: every campaign seen in the campaign stats or in the MPO
-- campaign metadata (latest snapshot).
with

campaign_stats as (

    select * from {{ ref('fct_campaign_stats_daily') }}

),

campaigns_metadata as (

    select * from {{ ref('int_campaigns_latest') }}

),

advertisers as (

    select * from {{ ref('int_advertisers_latest') }}

),

seen_in_stats as (

    select
        advertiser_id,
        campaign_id,
        arg_max(currency, report_date) as currency,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date
    from campaign_stats
    group by advertiser_id, campaign_id

),

campaigns as (

    select
        coalesce(campaigns_metadata.advertiser_id, seen_in_stats.advertiser_id) as advertiser_id,
        coalesce(campaigns_metadata.campaign_id, seen_in_stats.campaign_id) as campaign_id,
        campaigns_metadata.campaign_name,
        campaigns_metadata.delivery_status,
        campaigns_metadata.status_code,
        campaigns_metadata.campaign_id is not null as is_in_mpo_metadata,
        coalesce(campaigns_metadata.is_in_latest_snapshot, false) as is_in_latest_snapshot,
        seen_in_stats.currency as stats_currency,
        seen_in_stats.first_report_date,
        seen_in_stats.last_report_date

    from campaigns_metadata
    full outer join seen_in_stats
        on campaigns_metadata.advertiser_id = seen_in_stats.advertiser_id
        and campaigns_metadata.campaign_id = seen_in_stats.campaign_id

),

final as (

    select
        campaigns.advertiser_id,
        campaigns.campaign_id,
        campaigns.campaign_name,
        coalesce(
            campaigns.delivery_status,
            case campaigns.status_code
                when 0 then 'Running'
                when 1 then 'Archived'
                when 2 then 'NotRunning'
            end,
            'Unknown'
        ) as status,
        coalesce(advertisers.currency, campaigns.stats_currency) as currency,
        campaigns.status_code,
        campaigns.is_in_mpo_metadata,
        campaigns.is_in_latest_snapshot,
        campaigns.first_report_date,
        campaigns.last_report_date

    from campaigns
    left join advertisers
        on campaigns.advertiser_id = advertisers.advertiser_id

)

select * from final
order by advertiser_id, campaign_id
