{#-
    Rolling windows of the seller portal marts (models/marts/seller_portal): which windows, which
    as-of dates, which days are loaded, and the window sums.
-#}

{#-
    The window lengths in days: var `seller_portal_windows` (default [7, 30]), a list of whole
    numbers 1..366 (or a comma-separated string), returned sorted without duplicates. Anything else
    fails at compile time, naming the bad value.
-#}
{% macro seller_portal_windows() -%}
    {%- set raw = var('seller_portal_windows', [7, 30]) -%}
    {%- set items = raw.split(',') if raw is string else (raw if raw is iterable else [raw]) -%}
    {%- set windows = [] -%}
    {%- for item in items -%}
        {%- set text = item | string | trim -%}
        {%- if not modules.re.match('^[0-9]{1,3}$', text) or not (1 <= (text | int) <= 366) -%}
            {{ exceptions.raise_compiler_error(
                "var seller_portal_windows=" ~ raw ~ ": '" ~ text ~ "' is not a number of days 1..366") }}
        {%- endif -%}
        {%- if (text | int) not in windows -%}{%- do windows.append(text | int) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not windows -%}
        {{ exceptions.raise_compiler_error("var seller_portal_windows is empty: give at least one window, e.g. [7, 30]") }}
    {%- endif -%}
    {{ return(windows | sort) }}
{%- endmacro %}


{#-
    How many as-of dates the marts hold: var `seller_portal_as_of_days` (default 1 = only the
    latest loaded day; N = the N latest calendar days; 0 = every day since the first loaded one).
-#}
{% macro seller_portal_as_of_days() -%}
    {%- set raw = var('seller_portal_as_of_days', 1) | string | trim -%}
    {%- if not modules.re.match('^[0-9]{1,5}$', raw) -%}
        {{ exceptions.raise_compiler_error(
            "var seller_portal_as_of_days=" ~ raw ~ " is not a whole number >= 0 (1 = the latest day only, 0 = every day)") }}
    {%- endif -%}
    {{ return(raw | int) }}
{%- endmacro %}


{#- The additive measures of a window, counts then money (the same names as the daily facts). -#}
{% macro seller_portal_counts() -%}
    {{ return(['impressions', 'clicks', 'sale_units_same_seller', 'sale_units_any_seller']) }}
{%- endmacro %}

{% macro seller_portal_money() -%}
    {{ return(['cost', 'revenue_same_seller', 'revenue_any_seller']) }}
{%- endmacro %}


{#-
    SQL: one row per advertiser_id, report_date whose lake files of `table_name` (a stats source,
    e.g. stats_sellers) exist for every attribution policy the lake holds for it. A day loaded with
    no activity has files with zero rows, so a listing (no data read) tells a quiet day from a
    missing one, which the facts cannot.
-#}
{% macro seller_portal_loaded_days(table_name) -%}
    {%- if not execute -%}
        select cast(null as bigint) as advertiser_id, cast(null as date) as report_date where false
    {%- else -%}
        {%- set glob = sql_string(lake_glob(table_name)) -%}
        select advertiser_id, report_date
        from (
            select
                try_cast(regexp_extract(file, 'advertiser_id=([0-9]+)\.parquet$', 1) as bigint) as advertiser_id,
                try_cast(regexp_extract(file, 'report_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as report_date,
                regexp_extract(file, 'policy=([^/\\]+)', 1) as policy
            from glob({{ glob }})
        )
        where advertiser_id is not null and report_date is not null
        group by advertiser_id, report_date
        having count(distinct policy) = (
            select count(distinct regexp_extract(file, 'policy=([^/\\]+)', 1)) from glob({{ glob }})
        )
    {%- endif -%}
{%- endmacro %}


{#-
    SQL: one row per as_of_date (DATE): the latest day loaded in the lake (sellers or
    seller-campaigns stats, so both marts share their as-of dates), and the days before it as
    var seller_portal_as_of_days asks.
-#}
{% macro seller_portal_as_of_dates() -%}
    {%- set days = seller_portal_as_of_days() -%}
    with

    loaded as (

        {{ seller_portal_loaded_days('stats_sellers') }}
        union all
        {{ seller_portal_loaded_days('stats_seller_campaigns') }}

    ),

    bounds as (

        select min(report_date) as first_day, max(report_date) as last_day
        from loaded

    )

    select cast(unnest(generate_series(
        {%- if days == 0 %}
        first_day,
        {%- else %}
        greatest(first_day, last_day - {{ days - 1 }}),
        {%- endif %}
        last_day,
        interval 1 day
    )) as date) as as_of_date
    from bounds
    where last_day is not null
{%- endmacro %}


{#-
    SQL: running totals of `measures` over `relation` (one row per `keys` and report_date), per
    key in date order, plus `fact_rows` (how many daily rows so far). The sum of a key's days in
    (b1, b0] is the total at b0 minus the total at b1 (seller_portal_window_sums): two lookups per
    window instead of a frame per day, and exact (money stays DECIMAL).
-#}
{% macro seller_portal_running_totals(relation, keys, measures) -%}
    select
        {{ keys | join(', ') }},
        report_date,
        {%- for m in measures %}
        sum({{ m }}) over running as {{ m }},
        {%- endfor %}
        count(*) over running as fact_rows
    from {{ relation }}
    window running as (
        partition by {{ keys | join(', ') }} order by report_date rows between unbounded preceding and current row
    )
{%- endmacro %}


{#-
    SQL: every row of `bounds` (its `keys`, as_of_date, window_days and the `extra` columns) with,
    for every measure m, `m` (days as_of_date - window_days + 1 .. as_of_date), `previous_m` (the
    window_days days before), and `fact_rows` / `previous_fact_rows` (daily rows in each), from
    the running totals `totals` found by ASOF joins: the total at a date is that of the key's
    last daily row up to it (0 before its first).
-#}
{% macro seller_portal_window_sums(bounds, totals, keys, measures, extra=[]) -%}
    {%- set ends = {
        'at_end': bounds ~ '.as_of_date',
        'at_start': bounds ~ '.as_of_date - ' ~ bounds ~ '.window_days',
        'at_before': bounds ~ '.as_of_date - 2 * ' ~ bounds ~ '.window_days',
    } -%}
    select
        {%- for column in ['as_of_date', 'window_days'] + keys + extra %}
        {{ bounds }}.{{ column }},
        {%- endfor %}
        {%- for m in measures + ['fact_rows'] %}
        coalesce(at_end.{{ m }}, 0) - coalesce(at_start.{{ m }}, 0) as {{ m }},
        coalesce(at_start.{{ m }}, 0) - coalesce(at_before.{{ m }}, 0) as previous_{{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ bounds }}
    {%- for alias, boundary in ends.items() %}
    asof left join {{ totals }} as {{ alias }}
        on {% for k in keys %}{{ alias }}.{{ k }} = {{ bounds }}.{{ k }} and {% endfor %}{{ alias }}.report_date <= {{ boundary }}
    {%- endfor %}
{%- endmacro %}


{#- SQL: one row per window length (`window_days` INTEGER). -#}
{% macro seller_portal_windows_values(windows) -%}
    select * from (values {% for w in windows %}({{ w }}){{ ', ' if not loop.last }}{% endfor %}) as windows (window_days)
{%- endmacro %}


{#-
    SQL: one row per as_of_date, window_days, advertiser_id: how many days of the window
    (`days_loaded`) and of the previous window (`previous_days_loaded`) are loaded in the lake
    (relation `loaded_days`), a day whose amounts are in another currency than the window's
    (`as_of_currency`; before a currency change of the advertiser) not counting: it is not summed.
-#}
{% macro seller_portal_days_loaded(as_of_dates, windows, loaded_days, day_currency, as_of_currency) -%}
    select
        {{ as_of_dates }}.as_of_date,
        {{ windows }}.window_days,
        {{ loaded_days }}.advertiser_id,
        count(*) filter (
            where {{ loaded_days }}.report_date > {{ as_of_dates }}.as_of_date - {{ windows }}.window_days
        ) as days_loaded,
        count(*) filter (
            where {{ loaded_days }}.report_date <= {{ as_of_dates }}.as_of_date - {{ windows }}.window_days
        ) as previous_days_loaded
    from {{ as_of_dates }}
    cross join {{ windows }}
    inner join {{ loaded_days }}
        on {{ loaded_days }}.report_date
            between {{ as_of_dates }}.as_of_date - 2 * {{ windows }}.window_days + 1 and {{ as_of_dates }}.as_of_date
    left join {{ day_currency }}
        on {{ day_currency }}.advertiser_id = {{ loaded_days }}.advertiser_id
        and {{ day_currency }}.report_date = {{ loaded_days }}.report_date
    left join {{ as_of_currency }}
        on {{ as_of_currency }}.advertiser_id = {{ loaded_days }}.advertiser_id
        and {{ as_of_currency }}.as_of_date = {{ as_of_dates }}.as_of_date
    where {{ day_currency }}.currency is null
        or {{ as_of_currency }}.currency is null
        or {{ day_currency }}.currency = {{ as_of_currency }}.currency
    group by all
{%- endmacro %}


{#-
    SQL over `facts` (daily rows with advertiser_id, report_date, currency) and `as_of_dates`:
    `day_currency` = one row per advertiser_id, report_date with rows (its currency), and
    `as_of_currency` = one row per as_of_date, advertiser_id: the currency of the advertiser's
    latest day with rows up to the as-of date, the currency a window is summed in.
-#}
{% macro seller_portal_day_currency(facts) -%}
    select advertiser_id, report_date, max(currency) as currency
    from {{ facts }}
    group by advertiser_id, report_date
{%- endmacro %}

{% macro seller_portal_as_of_currency(as_of_dates, day_currency) -%}
    select
        {{ as_of_dates }}.as_of_date,
        {{ day_currency }}.advertiser_id,
        arg_max({{ day_currency }}.currency, {{ day_currency }}.report_date) as currency
    from {{ as_of_dates }}
    inner join {{ day_currency }} on {{ day_currency }}.report_date <= {{ as_of_dates }}.as_of_date
    group by all
{%- endmacro %}


{#- SQL: the first and last day of daily rows any window, previous window or month to date reads. -#}
{% macro seller_portal_range_bounds(as_of_dates, windows) -%}
    select
        least(
            min(as_of_date) - {{ 2 * (windows | max) - 1 }},
            cast(date_trunc('month', min(as_of_date)) as date)
        ) as first_day,
        max(as_of_date) as last_day
    from {{ as_of_dates }}
{%- endmacro %}


{#-
    SQL select-list columns of a rolling mart's `final`, after its keys: the window's dates and how
    complete it is (window_start .. previous_is_complete), from `windowed` (seller_portal_window_sums)
    and `days_loaded` (seller_portal_days_loaded). No trailing comma.
-#}
{% macro seller_portal_window_dates(windowed='windowed', days_loaded='days_loaded') -%}
        cast({{ windowed }}.as_of_date - {{ windowed }}.window_days + 1 as date) as window_start,
        {{ windowed }}.as_of_date as window_end,
        cast(coalesce({{ days_loaded }}.days_loaded, 0) as integer) as days_loaded,
        coalesce({{ days_loaded }}.days_loaded, 0) = {{ windowed }}.window_days as is_complete,
        cast({{ windowed }}.as_of_date - 2 * {{ windowed }}.window_days + 1 as date) as previous_window_start,
        cast({{ windowed }}.as_of_date - {{ windowed }}.window_days as date) as previous_window_end,
        cast(coalesce({{ days_loaded }}.previous_days_loaded, 0) as integer) as previous_days_loaded,
        coalesce({{ days_loaded }}.previous_days_loaded, 0) = {{ windowed }}.window_days
            as previous_is_complete
{%- endmacro %}


{#-
    SQL select-list columns of a rolling mart's `final`: for the `counts` (BIGINT) and `money`
    (DECIMAL) measures of the window, each measure, the ratios ctr, cpc, roas_same_seller and
    roas_any_seller, then previous_m and m_change for every measure (NULL when no day of the
    previous window is loaded; `days_loaded` as in seller_portal_days_loaded). No trailing comma.
-#}
{% macro seller_portal_window_measures(counts, money, days_loaded='days_loaded') -%}
        {%- for m in counts %}
            cast({{ m }} as bigint) as {{ m }},
        {%- endfor %}
        {%- for m in money %}
            cast({{ m }} as {{ money_type() }}) as {{ m }},
        {%- endfor %}

        {{ safe_divide('clicks', 'impressions') }} as ctr,
        {{ safe_divide('cost', 'clicks') }} as cpc,
        {{ safe_divide('revenue_same_seller', 'cost') }} as roas_same_seller,
        {{ safe_divide('revenue_any_seller', 'cost') }} as roas_any_seller,

        -- NULL when no day of the previous window is loaded (before the first load)
        {%- for m in counts %}
            case
                when {{ days_loaded }}.previous_days_loaded > 0 then cast(previous_{{ m }} as bigint)
            end as previous_{{ m }},
        {%- endfor %}
        {%- for m in money %}
            case
                when {{ days_loaded }}.previous_days_loaded > 0
                    then cast(previous_{{ m }} as {{ money_type() }})
            end as previous_{{ m }},
        {%- endfor %}
        {%- for m in counts %}
            case
                when {{ days_loaded }}.previous_days_loaded > 0
                    then cast({{ m }} - previous_{{ m }} as bigint)
            end as {{ m }}_change,
        {%- endfor %}
        {%- for m in money %}
            case
                when {{ days_loaded }}.previous_days_loaded > 0
                    then cast({{ m }} - previous_{{ m }} as {{ money_type() }})
            end as {{ m }}_change{{ ',' if not loop.last }}
        {%- endfor %}
{%- endmacro %}
