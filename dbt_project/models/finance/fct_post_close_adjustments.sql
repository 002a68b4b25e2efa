{{ config(schema='marts', materialized='table') }}
-- one row per month, advertiser_id, seller_id of a closed month whose current statement differs
-- from the month's latest close: X_closed (frozen), X_current (marts.fct_seller_monthly_statement
-- now), X_delta = X_current - X_closed for every money and count column of the statement. A seller
-- on one side only counts as zero on the other. Empty when no month was ever closed. Exact money
-- (media_cost, revenues) compares as DECIMAL(38, 9), billed money (ad_billing_amount) as
-- DECIMAL(38, 4); closes made before money was exact (DECIMAL(18, 4) columns) read the same way.
-- Only the close columns every close ever had are read, so a warehouse whose close table predates
-- the newer columns builds before its next close adds them.
--
-- finance.month_closes / month_close_statements are written by Python (month close) and may not
-- exist yet: at run time they are looked up in information_schema and, when absent, read as empty
-- relations with the columns declared in _finance.yml (var finance_close_tables_exist overrides the
-- lookup, for unit tests).
{%- set counts = ['impressions', 'clicks', 'sale_units_same_seller', 'sale_units_any_seller'] %}
{%- set billed = ['ad_billing_amount'] %}
{%- set measures = [
    'impressions', 'clicks', 'media_cost', 'ad_billing_amount',
    'sale_units_same_seller', 'revenue_same_seller', 'sale_units_any_seller', 'revenue_any_seller',
] %}
{%- set tables = ['month_closes', 'month_close_statements'] %}
{%- set tables_exist = var('finance_close_tables_exist', none) %}
{%- if tables_exist is none and execute %}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where table_catalog = current_database()"
        ~ " and table_schema = 'finance' and table_name in ('" ~ tables | join("', '") ~ "')"
    ).columns[0].values()[0] %}
    {%- set tables_exist = found == tables | length %}
{%- endif %}
{%- set relations = {} %}
{%- for table in tables %}
    {#- source() is always called, so lineage is recorded even when the table is absent -#}
    {%- set relation = source('finance', table) %}
    {%- if execute and not tables_exist %}
        {%- set node = graph.sources['source.' ~ project_name ~ '.finance.' ~ table] %}
        {%- set columns = [] %}
        {%- for column in node.columns.values() %}
            {%- do columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ column.name) %}
        {%- endfor %}
        {%- do relations.update({table: '(select ' ~ columns | join(', ') ~ ' where false)'}) %}
    {%- else %}
        {%- do relations.update({table: relation}) %}
    {%- endif %}
{%- endfor %}

with

closes as (

    select * from {{ relations['month_closes'] }}

),

close_statements as (

    select * from {{ relations['month_close_statements'] }}

),

statement as (

    select * from {{ ref('fct_seller_monthly_statement') }}

),

minor_units as (

    select * from {{ ref('currency_minor_units') }}

),

latest_closes as (

    -- the close that stands for each month: its highest close_id (a reopen makes a new one)
    select
        month,
        close_id,
        closed_at
    from closes
    qualify row_number() over (partition by month order by close_id desc) = 1

),

closed_rows as (

    select close_statements.*
    from close_statements
    inner join latest_closes
        on close_statements.close_id = latest_closes.close_id

),

current_rows as (

    select statement.*
    from statement
    inner join latest_closes
        on statement.month = latest_closes.month

),

compared as (

    select
        coalesce(current_rows.month, closed_rows.month) as month,
        coalesce(current_rows.advertiser_id, closed_rows.advertiser_id) as advertiser_id,
        coalesce(current_rows.seller_id, closed_rows.seller_id) as seller_id,
        coalesce(current_rows.seller_name, closed_rows.seller_name) as seller_name,
        coalesce(current_rows.currency, closed_rows.currency) as currency,
        case
            when closed_rows.seller_id is null then 'new_since_close'
            when current_rows.seller_id is null then 'gone_since_close'
            else 'changed'
        end as change_type,
        closed_rows.ad_fee_rate as ad_fee_rate_closed,
        current_rows.ad_fee_rate as ad_fee_rate_current,
        {%- for m in measures %}
            {%- set type = 'bigint' if m in counts
                else (billed_money_type() if m in billed else 'decimal(38, 9)') %}
            cast(coalesce(closed_rows.{{ m }}, 0) as {{ type }}) as {{ m }}_closed,
            cast(coalesce(current_rows.{{ m }}, 0) as {{ type }}) as {{ m }}_current,
            cast(coalesce(current_rows.{{ m }}, 0) - coalesce(closed_rows.{{ m }}, 0) as {{ type }})
                as {{ m }}_delta
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from closed_rows
    full outer join current_rows
        on closed_rows.month = current_rows.month
        and closed_rows.advertiser_id = current_rows.advertiser_id
        and closed_rows.seller_id = current_rows.seller_id
        and closed_rows.currency = current_rows.currency

),

final as (

    select
        compared.month,
        compared.advertiser_id,
        compared.seller_id,
        latest_closes.close_id,
        latest_closes.closed_at,
        compared.seller_name,
        compared.currency,
        cast(minor_units.minor_unit as integer) as currency_minor_unit,
        compared.* exclude (
            compared.month,
            compared.advertiser_id,
            compared.seller_id,
            compared.seller_name,
            compared.currency
        )
    from compared
    inner join latest_closes
        on compared.month = latest_closes.month
    left join minor_units
        on compared.currency = minor_units.currency
    where (
        {%- for m in measures %}
            compared.{{ m }}_delta <> 0
            {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )

)

select * from final
order by month, advertiser_id, seller_id
