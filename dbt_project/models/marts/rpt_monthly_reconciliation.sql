-- one row per month, advertiser_id, endpoint, policy for which the lake holds control totals:
-- the sum of the daily rows against the API's Month figure, metric by metric.
-- Tolerance: counts (impressions, clicks, sale_units) must be equal; money (cost, revenue) may
-- differ by what per-row rounding explains and nothing more: the API rounds every daily row and
-- every monthly row on its own, so each may be off by half a unit of its last decimal
-- (macros/money.sql). A missing daily row worth a cent still fails.
{%- set metrics = ['impressions', 'clicks', 'cost', 'sale_units', 'revenue'] %}
{%- set counts = ['impressions', 'clicks', 'sale_units'] %}
{%- set money = ['cost', 'revenue'] %}

with

control as (

    select * from {{ ref('stg_mpo__control_monthly_stats') }}

),

seller_campaign_stats as (

    select * from {{ ref('fct_seller_campaign_stats_daily') }}

),

seller_stats as (

    select * from {{ ref('fct_seller_stats_daily') }}

),

campaign_stats as (

    select * from {{ ref('fct_campaign_stats_daily') }}

),

control_totals as (

    select
        month,
        advertiser_id,
        endpoint,
        attribution_policy as policy,
        -- the daily days compared: the part of the month the control request covered
        greatest(month, min(window_start)) as compared_from,
        least(cast(month + interval 1 month - interval 1 day as date), max(window_end))
            as compared_to,
        string_agg(distinct currency, ',') as currency,
        {%- for m in money %}
            {{ rounding_tolerance(m) }} as {{ m }}_tolerance_control,
        {%- endfor %}
        {%- for m in metrics %}
            cast(sum({{ m }}) as {{ 'bigint' if m in counts else money_type() }}) as {{ m }}_control
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from control
    group by month, advertiser_id, endpoint, attribution_policy

),

control_dates as (

    select
        cast(
            unnest(generate_series(min(compared_from), max(compared_to), interval 1 day)) as date
        ) as report_date
    from control_totals

),

daily_by_endpoint as (

    {%- for endpoint, relation in [
        ('seller_campaigns', 'seller_campaign_stats'),
        ('sellers', 'seller_stats'),
        ('campaigns', 'campaign_stats')] %}
        select
            '{{ endpoint }}' as endpoint,
            report_date,
            advertiser_id,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(cost) as cost,
            {{ rounding_tolerance('cost') }} as cost_tolerance,
            {{ rounding_tolerance('revenue_same_seller') }} as revenue_tolerance_same_seller,
            {{ rounding_tolerance('revenue_any_seller') }} as revenue_tolerance_any_seller,
            sum(sale_units_same_seller) as sale_units_same_seller,
            sum(revenue_same_seller) as revenue_same_seller,
            sum(sale_units_any_seller) as sale_units_any_seller,
            sum(revenue_any_seller) as revenue_any_seller
        from {{ relation }}
        where report_date in (select distinct control_dates.report_date from control_dates)
        group by report_date, advertiser_id
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

daily_by_policy as (

    {%- for policy, suffix in [('SameSeller', 'same_seller'), ('AnySeller', 'any_seller')] %}
        select
            endpoint,
            '{{ policy }}' as policy,
            report_date,
            advertiser_id,
            impressions,
            clicks,
            cost,
            sale_units_{{ suffix }} as sale_units,
            revenue_{{ suffix }} as revenue,
            cost_tolerance,
            revenue_tolerance_{{ suffix }} as revenue_tolerance
        from daily_by_endpoint
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

daily_totals as (

    select
        control_totals.month,
        control_totals.advertiser_id,
        control_totals.endpoint,
        control_totals.policy,
        cast(count(distinct daily_by_policy.report_date) as bigint) as days_with_rows,
        {%- for m in money %}
            coalesce(sum(daily_by_policy.{{ m }}_tolerance), 0) as {{ m }}_tolerance_daily,
        {%- endfor %}
        {%- for m in metrics %}
            cast(
                coalesce(sum(daily_by_policy.{{ m }}), 0)
                as {{ 'bigint' if m in counts else money_type() }}
            ) as {{ m }}_daily
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from control_totals
    left join daily_by_policy
        on control_totals.advertiser_id = daily_by_policy.advertiser_id
        and control_totals.endpoint = daily_by_policy.endpoint
        and control_totals.policy = daily_by_policy.policy
        and daily_by_policy.report_date
        between control_totals.compared_from and control_totals.compared_to
    group by all

),

compared as (

    select
        control_totals.month,
        control_totals.advertiser_id,
        control_totals.endpoint,
        control_totals.policy,
        control_totals.currency,
        control_totals.compared_from,
        control_totals.compared_to,
        daily_totals.days_with_rows,
        {%- for m in metrics %}
            daily_totals.{{ m }}_daily,
            control_totals.{{ m }}_control,
            cast(
                daily_totals.{{ m }}_daily - control_totals.{{ m }}_control
                as {{ 'bigint' if m in counts else money_type() }}
            ) as {{ m }}_diff,
            {%- if m in money %}
                daily_totals.{{ m }}_tolerance_daily + control_totals.{{ m }}_tolerance_control
                    as {{ m }}_tolerance,
            {%- endif %}
            {{ safe_divide(
                'daily_totals.' ~ m ~ '_daily - control_totals.' ~ m ~ '_control',
                'abs(control_totals.' ~ m ~ '_control)',
            ) }} as {{ m }}_rel_diff,
        {%- endfor %}
        (
            {%- for m in metrics %}
                {%- if m in counts %}
                    daily_totals.{{ m }}_daily = control_totals.{{ m }}_control
                {%- else %}
                    abs(daily_totals.{{ m }}_daily - control_totals.{{ m }}_control)
                    <= daily_totals.{{ m }}_tolerance_daily
                    + control_totals.{{ m }}_tolerance_control
                {%- endif %}
                {%- if not loop.last %} and{% endif %}
            {%- endfor %}
        ) as is_reconciled

    from control_totals
    inner join daily_totals
        on control_totals.month = daily_totals.month
        and control_totals.advertiser_id = daily_totals.advertiser_id
        and control_totals.endpoint = daily_totals.endpoint
        and control_totals.policy = daily_totals.policy

)

select * from compared
order by month, advertiser_id, endpoint, policy
