-- one row per as_of_date, window_days, advertiser_id, seller_id, campaign_id: the per-campaign
-- breakdown of marts.rpt_seller_performance_rolling (same as-of dates, windows and definitions,
-- from /stats/seller-campaigns), for every seller-campaign with a daily row in the window or in
-- the previous window. No KPI columns: GMV and spend caps are per seller.
{%- set windows = seller_portal_windows() %}
{%- set counts = seller_portal_counts() %}
{%- set money = seller_portal_money() %}
{%- set measures = counts + money %}

with

as_of_dates as (

    {{ seller_portal_as_of_dates() }}

),

windows as (

    {{ seller_portal_windows_values(windows) }}

),

range_bounds as (

    {{ seller_portal_range_bounds('as_of_dates', windows) }}

),

loaded_days as (

    {{ seller_portal_loaded_days('stats_seller_campaigns') }}

),

facts as (

    select seller_campaign_stats.*
    from {{ ref('fct_seller_campaign_stats_daily') }} as seller_campaign_stats
    inner join range_bounds
        on seller_campaign_stats.report_date
        between range_bounds.first_day and range_bounds.last_day

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

day_currency as (

    {{ seller_portal_day_currency('facts') }}

),

as_of_currency as (

    {{ seller_portal_as_of_currency('as_of_dates', 'day_currency') }}

),

pairs as (

    select distinct
        advertiser_id,
        seller_id,
        campaign_id
    from facts

),

grid as (

    -- every seller-campaign with daily rows in the range, on every as-of date; rows whose windows
    -- hold none of them are dropped below
    select
        as_of_dates.as_of_date,
        pairs.advertiser_id,
        pairs.seller_id,
        pairs.campaign_id,
        as_of_currency.currency
    from as_of_dates
    cross join pairs
    inner join as_of_currency
        on as_of_dates.as_of_date = as_of_currency.as_of_date
        and pairs.advertiser_id = as_of_currency.advertiser_id

),

totals as (

    {{ seller_portal_running_totals(
        'facts', ['advertiser_id', 'seller_id', 'campaign_id', 'currency'], measures,
    ) }}

),

bounds as (

    select
        grid.*,
        windows.window_days
    from grid
    cross join windows

),

windowed as (

    {{ seller_portal_window_sums(
        'bounds', 'totals', ['advertiser_id', 'seller_id', 'campaign_id', 'currency'], measures,
    ) }}

),

days_loaded as (

    {{ seller_portal_days_loaded(
        'as_of_dates', 'windows', 'loaded_days', 'day_currency', 'as_of_currency',
    ) }}

),

final as (

    select
        windowed.as_of_date,
        cast(windowed.window_days as integer) as window_days,
        windowed.advertiser_id,
        windowed.seller_id,
        windowed.campaign_id,
        sellers.seller_name,
        windowed.currency,
        {{ seller_portal_window_dates() }},

        {{ seller_portal_window_measures(counts, money) }}

    from windowed
    inner join sellers
        on windowed.advertiser_id = sellers.advertiser_id
        and windowed.seller_id = sellers.seller_id
    left join days_loaded
        on windowed.as_of_date = days_loaded.as_of_date
        and windowed.window_days = days_loaded.window_days
        and windowed.advertiser_id = days_loaded.advertiser_id
    -- a seller-campaign quiet in both windows has no row
    where windowed.fact_rows + windowed.previous_fact_rows > 0

)

select * from final
order by as_of_date, window_days, advertiser_id, seller_id, campaign_id
