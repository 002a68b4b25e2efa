-- one row per advertiser_id, seller_id: every seller seen in the seller stats or in the MPO seller
-- metadata, joined on seller_name with the marketplace's seller directory, with today's rates (the
-- directory row valid on the current date, var rates_as_of overrides it; the history is
-- marts.dim_seller_rates_history). A seller missing from the directory is kept with rates 0 and
-- is_in_seller_directory = false; a seller whose directory rows all start later has rates 0 today.
with

seller_stats as (

    select * from {{ ref('fct_seller_stats_daily') }}

),

sellers_metadata as (

    select * from {{ ref('int_sellers_latest') }}

),

seller_campaigns_metadata as (

    select * from {{ ref('int_seller_campaigns_latest') }}

),

advertisers as (

    select * from {{ ref('int_advertisers_latest') }}

),

rates_history as (

    select * from {{ ref('dim_seller_rates_history') }}

),

seller_directory as (

    -- one row per seller_name: the row valid today, else (rows starting later) the earliest one
    select *
    from rates_history
    qualify row_number() over (
        partition by seller_name order by is_current desc, valid_from asc nulls first
    ) = 1

),

seen_in_stats as (

    select
        advertiser_id,
        seller_id,
        arg_max(seller_name, report_date) as seller_name,
        arg_max(currency, report_date) as currency,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date
    from seller_stats
    group by advertiser_id, seller_id

),

activity as (

    -- a seller is active when one of its seller-campaigns in the latest snapshot is active
    select
        advertiser_id,
        seller_id,
        cast(count(*) filter (where is_active) as bigint) as active_seller_campaigns
    from seller_campaigns_metadata
    where is_in_latest_snapshot
    group by advertiser_id, seller_id

),

sellers as (

    select
        coalesce(sellers_metadata.advertiser_id, seen_in_stats.advertiser_id) as advertiser_id,
        coalesce(sellers_metadata.seller_id, seen_in_stats.seller_id) as seller_id,
        -- the current catalog name (metadata) wins over the name last reported in stats
        coalesce(sellers_metadata.seller_name, seen_in_stats.seller_name) as seller_name,
        sellers_metadata.seller_id is not null as is_in_mpo_metadata,
        coalesce(sellers_metadata.is_in_latest_snapshot, false) as is_in_latest_snapshot,
        seen_in_stats.currency as stats_currency,
        seen_in_stats.first_report_date,
        seen_in_stats.last_report_date

    from sellers_metadata
    full outer join seen_in_stats
        on sellers_metadata.advertiser_id = seen_in_stats.advertiser_id
        and sellers_metadata.seller_id = seen_in_stats.seller_id

),

final as (

    select
        sellers.advertiser_id,
        sellers.seller_id,
        sellers.seller_name,
        coalesce(advertisers.currency, sellers.stats_currency) as currency,
        coalesce(activity.active_seller_campaigns, 0) > 0 as is_active,
        cast(coalesce(activity.active_seller_campaigns, 0) as bigint) as active_seller_campaigns,
        seller_directory.seller_name is not null as is_in_seller_directory,
        seller_directory.seller_legal_name,
        seller_directory.country,
        seller_directory.seller_tier,
        seller_directory.account_manager,
        cast(
            case when seller_directory.is_current then seller_directory.commission_rate else 0 end
            as decimal(10, 6)
        ) as commission_rate,
        cast(
            case when seller_directory.is_current then seller_directory.ad_fee_rate else 0 end
            as decimal(10, 6)
        ) as ad_fee_rate,
        case
            when seller_directory.is_current then seller_directory.valid_from
        end as rates_valid_from,
        sellers.is_in_mpo_metadata,
        sellers.is_in_latest_snapshot,
        sellers.first_report_date,
        sellers.last_report_date

    from sellers
    left join advertisers
        on sellers.advertiser_id = advertisers.advertiser_id
    left join activity
        on sellers.advertiser_id = activity.advertiser_id
        and sellers.seller_id = activity.seller_id
    left join seller_directory
        on sellers.seller_name = seller_directory.seller_name

)

select * from final
order by advertiser_id, seller_id
