{{ config(**daily_fact_config()) }}
-- one row per report_date, advertiser_id, campaign_id
-- Incremental: a run with vars min_report_date / max_report_date rebuilds exactly that window
-- (old rows of the window deleted, including days that became empty); without vars, or when the
-- table is created or fully refreshed, everything in the lake is built.

with

pivoted as (

    {{ daily_fact_rows(ref('int_campaign_stats_daily_pivoted')) }}

),

final as (

    select
        report_date,
        advertiser_id,
        campaign_id,
        currency,

        {{ daily_fact_measures() }},

        time_zone,
        extracted_at

    from pivoted

)

select * from final
order by report_date, advertiser_id, campaign_id
