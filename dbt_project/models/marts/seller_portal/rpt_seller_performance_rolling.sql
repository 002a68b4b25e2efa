-- one row per as_of_date, window_days, advertiser_id, seller_id: what a seller portal shows. For
-- every seller of marts.dim_sellers, the sums of the window_days days ending on the as-of date and
-- of the window_days days before, ratios recomputed from those sums, how many of the days are
-- loaded, and the marketplace's KPIs: GMV share (MPO_SELLER_KPIS) and the monthly spend cap
-- (seller directory). As-of dates: the latest loaded day (var seller_portal_as_of_days asks for
-- more).
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

    {{ seller_portal_loaded_days('stats_sellers') }}

),

facts as (

    select seller_stats.*
    from {{ ref('fct_seller_stats_daily') }} as seller_stats
    inner join range_bounds
        on seller_stats.report_date between range_bounds.first_day and range_bounds.last_day

),

sellers as (

    select * from {{ ref('dim_sellers') }}

),

seller_directory as (

    select * from {{ ref('int_seller_directory') }}

),

seller_kpis as (

    select * from {{ ref('int_seller_kpis') }}

),

day_currency as (

    {{ seller_portal_day_currency('facts') }}

),

as_of_currency as (

    {{ seller_portal_as_of_currency('as_of_dates', 'day_currency') }}

),

grid as (

    -- every seller known on the as-of date, in the currency its window is summed in
    select
        as_of_dates.as_of_date,
        sellers.advertiser_id,
        sellers.seller_id,
        sellers.seller_name,
        coalesce(as_of_currency.currency, sellers.currency) as currency
    from as_of_dates
    cross join sellers
    left join as_of_currency
        on as_of_dates.as_of_date = as_of_currency.as_of_date
        and sellers.advertiser_id = as_of_currency.advertiser_id
    where
        (sellers.first_report_date is null or sellers.first_report_date <= as_of_dates.as_of_date)
        and coalesce(as_of_currency.currency, sellers.currency) is not null

),

kpis as (

    -- the KPI rows of each seller and advertiser, in the file's currency (else the advertiser's)
    select
        sellers.advertiser_id,
        sellers.seller_id,
        coalesce(seller_kpis.currency, day_currency.currency, sellers.currency) as currency,
        seller_kpis.day as report_date,
        sum(seller_kpis.gmv) as gmv,
        sum(seller_kpis.orders) as orders
    from seller_kpis
    inner join sellers on seller_kpis.seller_name = sellers.seller_name
    inner join range_bounds
        on seller_kpis.day between range_bounds.first_day and range_bounds.last_day
    left join day_currency
        on sellers.advertiser_id = day_currency.advertiser_id
        and seller_kpis.day = day_currency.report_date
    group by all

),

fact_totals as (

    {{ seller_portal_running_totals(
        'facts', ['advertiser_id', 'seller_id', 'currency'], measures,
    ) }}

),

kpi_totals as (

    {{ seller_portal_running_totals(
        'kpis', ['advertiser_id', 'seller_id', 'currency'], ['gmv', 'orders'],
    ) }}

),

bounds as (

    select
        grid.*,
        windows.window_days
    from grid
    cross join windows

),

fact_windows as (

    {{ seller_portal_window_sums(
        'bounds', 'fact_totals', ['advertiser_id', 'seller_id', 'currency'], measures,
    ) }}

),

kpi_windows as (

    {{ seller_portal_window_sums(
        'bounds', 'kpi_totals', ['advertiser_id', 'seller_id', 'currency'], ['gmv', 'orders'],
    ) }}

),

windowed as (

    select
        fact_windows.*,
        -- NULL when the KPI file has no row of the seller in the window
        case when kpi_windows.fact_rows > 0 then kpi_windows.gmv end as gmv,
        case when kpi_windows.fact_rows > 0 then kpi_windows.orders end as orders
    from fact_windows
    inner join kpi_windows
        on fact_windows.as_of_date = kpi_windows.as_of_date
        and fact_windows.window_days = kpi_windows.window_days
        and fact_windows.advertiser_id = kpi_windows.advertiser_id
        and fact_windows.seller_id = kpi_windows.seller_id

),

month_to_date as (

    -- cost from the first day of the as-of month: the running total at the as-of date minus the
    -- one at the end of the previous month
    select
        grid.as_of_date,
        grid.advertiser_id,
        grid.seller_id,
        coalesce(at_end.cost, 0) - coalesce(at_month_start.cost, 0) as cost_mtd,
        coalesce(at_month_start.cost, 0) as cost_before_month
    from grid
    asof left join fact_totals as at_end
        on grid.advertiser_id = at_end.advertiser_id
        and grid.seller_id = at_end.seller_id
        and grid.currency = at_end.currency
        and grid.as_of_date >= at_end.report_date
    asof left join fact_totals as at_month_start
        on grid.advertiser_id = at_month_start.advertiser_id
        and grid.seller_id = at_month_start.seller_id
        and grid.currency = at_month_start.currency
        and cast(date_trunc('month', grid.as_of_date) as date) > at_month_start.report_date

),

days_loaded as (

    {{ seller_portal_days_loaded(
        'as_of_dates', 'windows', 'loaded_days', 'day_currency', 'as_of_currency',
    ) }}

),

caps as (

    -- the cap of the directory row valid on the as-of date, when it applies to this currency
    select
        grid.as_of_date,
        grid.advertiser_id,
        grid.seller_id,
        grid.currency,
        seller_directory.monthly_ad_spend_cap
    from grid
    inner join seller_directory
        on grid.seller_name = seller_directory.seller_name
        and (seller_directory.valid_from is null or grid.as_of_date >= seller_directory.valid_from)
        and (seller_directory.valid_to is null or grid.as_of_date < seller_directory.valid_to)
        and (seller_directory.cap_currency is null or grid.currency = seller_directory.cap_currency)
    where seller_directory.monthly_ad_spend_cap is not null

),

cap_reached as (

    -- the first day of the month whose month-to-date cost reached the cap (caps already reached)
    select
        caps.as_of_date,
        caps.advertiser_id,
        caps.seller_id,
        min(fact_totals.report_date) as reached_on
    from caps
    inner join month_to_date
        on caps.as_of_date = month_to_date.as_of_date
        and caps.advertiser_id = month_to_date.advertiser_id
        and caps.seller_id = month_to_date.seller_id
    inner join fact_totals
        on caps.advertiser_id = fact_totals.advertiser_id
        and caps.seller_id = fact_totals.seller_id
        and caps.currency = fact_totals.currency
        and fact_totals.report_date between date_trunc('month', caps.as_of_date) and caps.as_of_date
        and fact_totals.cost - month_to_date.cost_before_month >= caps.monthly_ad_spend_cap
    where month_to_date.cost_mtd >= caps.monthly_ad_spend_cap
    group by all

),

cap_status as (

    select
        caps.*,
        month_to_date.cost_mtd as cap_used,
        cast(extract(day from caps.as_of_date) as integer) as days_elapsed,
        cap_reached.reached_on
    from caps
    inner join month_to_date
        on caps.as_of_date = month_to_date.as_of_date
        and caps.advertiser_id = month_to_date.advertiser_id
        and caps.seller_id = month_to_date.seller_id
    left join cap_reached
        on caps.as_of_date = cap_reached.as_of_date
        and caps.advertiser_id = cap_reached.advertiser_id
        and caps.seller_id = cap_reached.seller_id

),

cap_projection as (

    -- not reached yet, at the month-to-date daily pace (cap_used / days_elapsed): the first day d
    -- after the as-of date with cap_used * (days_elapsed + k) >= cap * days_elapsed, k = d - as-of
    -- date; estimated in DOUBLE, then corrected by one day either way in exact decimals
    select
        *,
        case
            when exact_k_minus_1_reaches then estimated_k - 1
            when not exact_k_reaches then estimated_k + 1
            else estimated_k
        end as days_to_cap
    from (
        select
            *,
            (
                cap_used * (days_elapsed + estimated_k - 1) >= monthly_ad_spend_cap * days_elapsed
                and estimated_k > 1
            ) as exact_k_minus_1_reaches,
            cap_used * (days_elapsed + estimated_k) >= monthly_ad_spend_cap * days_elapsed
                as exact_k_reaches
        from (
            select
                *,
                cast(least(greatest(ceil(
                    cast(monthly_ad_spend_cap as double) * days_elapsed / cast(cap_used as double)
                ) - days_elapsed, 1), 400) as integer) as estimated_k
            from cap_status
            where cap_used > 0 and cap_used < monthly_ad_spend_cap
        ) as estimated
    ) as checked

),

final as (

    select
        windowed.as_of_date,
        cast(windowed.window_days as integer) as window_days,
        windowed.advertiser_id,
        windowed.seller_id,
        grid.seller_name,
        windowed.currency,
        {{ seller_portal_window_dates() }},

        {{ seller_portal_window_measures(counts, money) }},

        cast(windowed.gmv as {{ money_type() }}) as gmv,
        cast(windowed.orders as bigint) as orders,
        {{ safe_divide('windowed.revenue_same_seller', 'windowed.gmv') }}
            as ad_revenue_share_of_gmv,
        cap_status.monthly_ad_spend_cap,
        cast(cap_status.cap_used as {{ money_type() }}) as cap_used,
        -- greatest() skips NULLs: without a cap, nothing remains to say
        case
            when cap_status.monthly_ad_spend_cap is not null
                then cast(
                    greatest(cap_status.monthly_ad_spend_cap - cap_status.cap_used, 0)
                    as {{ money_type() }}
                )
        end as cap_remaining,
        case
            when cap_status.monthly_ad_spend_cap is null then null
            when cap_status.cap_used >= cap_status.monthly_ad_spend_cap
                -- reached: the day it was (a cap of 0 on the first day of the month)
                then coalesce(
                    cap_status.reached_on, cast(date_trunc('month', windowed.as_of_date) as date)
                )
            when
                cap_projection.days_to_cap is not null
                and windowed.as_of_date + cap_projection.days_to_cap
                <= last_day(windowed.as_of_date)
                then cast(windowed.as_of_date + cap_projection.days_to_cap as date)
        end as cap_reached_on

    from windowed
    inner join grid
        on windowed.as_of_date = grid.as_of_date
        and windowed.advertiser_id = grid.advertiser_id
        and windowed.seller_id = grid.seller_id
    left join days_loaded
        on windowed.as_of_date = days_loaded.as_of_date
        and windowed.window_days = days_loaded.window_days
        and windowed.advertiser_id = days_loaded.advertiser_id
    left join cap_status
        on windowed.as_of_date = cap_status.as_of_date
        and windowed.advertiser_id = cap_status.advertiser_id
        and windowed.seller_id = cap_status.seller_id
    left join cap_projection
        on windowed.as_of_date = cap_projection.as_of_date
        and windowed.advertiser_id = cap_projection.advertiser_id
        and windowed.seller_id = cap_projection.seller_id

)

select * from final
order by as_of_date, window_days, advertiser_id, seller_id
