{{ config(materialized='table') }}
-- one row per seller_name, day and currency: the marketplace's seller KPI file
-- (MPO_SELLER_KPIS), validated (a table: a large file is read and checked once per build). No
-- file = no row. A bad file fails the build here, with one message per offending row (line and
-- seller_name) and problem.
{%- set input = seller_kpis_input() %}
{%- set where = input.line_word ~ ' ' %}
{%- set label = input.label | replace("'", "''") %}

with

source as (

    {{ input.numbered_sql }}

),

renamed as (

    select
        cast(_line_number as bigint) as source_line,
        cast(seller_name as varchar) as seller_name,
        nullif(trim(cast(day as varchar)), '') as day_text,
        nullif(trim(cast(gmv as varchar)), '') as gmv_text,
        nullif(trim(cast(orders as varchar)), '') as orders_text,
        {%- if 'currency' in input.optional %}
            nullif(trim(cast(currency as varchar)), '') as currency
        {%- else %}
            -- no currency column: amounts are in the currency of each advertiser of the seller
            cast(null as varchar) as currency
        {%- endif %}

    from source

),

parsed as (

    select
        *,
        -- strictly YYYY-MM-DD (a Parquet DATE column reads the same way)
        case
            when regexp_full_match(day_text, '\d{4}-\d{2}-\d{2}')
                then cast(try_strptime(day_text, '%Y-%m-%d') as date)
        end as day_value,
        -- a plain decimal number: no exponent, so that money is read exactly
        case
            when regexp_full_match(gmv_text, '-?\d+(\.\d+)?')
                then try_cast(gmv_text as {{ money_type() }})
        end as gmv_value,
        -- a whole number (a Parquet float column may write 12.0)
        case
            when regexp_full_match(orders_text, '-?\d+(\.0+)?')
                then try_cast(try_cast(orders_text as decimal(38, 9)) as bigint)
        end as orders_value
    from renamed

),

numbered as (

    select
        *,
        -- rows of one seller and day overlap when their currencies are equal or one is empty
        -- (an empty currency means every currency of the seller)
        case
            when currency is null then list(source_line) over same_day
            else list_concat(
                list(source_line) over same_currency,
                list(source_line) filter (where currency is null) over same_day
            )
        end as overlapping_lines
    from (
        -- rows of one seller and day (parsed date, else the bad text)
        select
            *,
            coalesce(cast(day_value as varchar), day_text) as day_key
        from parsed
    ) as keyed_by_day
    window
        same_day as (partition by seller_name, day_key),
        same_currency as (partition by seller_name, day_key, currency)

),

keyed as (

    select
        *,
        len(overlapping_lines) as key_occurrences,
        array_to_string(list_sort(overlapping_lines), ', ') as key_lines
    from numbered

),

problems as (

    select
        source_line,
        'seller_name is empty' as problem
    from keyed
    where seller_name is null or trim(seller_name) = ''

    union all

    select
        source_line,
        'seller_name and day are not unique ({{ input.line_word }}s ' || key_lines
        || ' with day ' || day_key || ', currency ' || coalesce(currency, 'empty') || ')' as problem
    from keyed
    where key_occurrences > 1 and seller_name is not null and day_key is not null

    union all

    select
        source_line,
        'day ' || coalesce('''' || day_text || ''' is not a date (YYYY-MM-DD)', 'is empty')
            as problem
    from keyed
    where day_value is null

    union all

    select
        source_line,
        'gmv ' || case
            when gmv_text is null then 'is empty'
            when gmv_value < 0 then '''' || gmv_text || ''' is negative'
            else '''' || gmv_text || ''' is not a number'
        end as problem
    from keyed
    where gmv_value is null or gmv_value < 0

    union all

    select
        source_line,
        'orders ' || case
            when orders_text is null then 'is empty'
            when orders_value < 0 then '''' || orders_text || ''' is negative'
            else '''' || orders_text || ''' is not a whole number'
        end as problem
    from keyed
    where orders_value is null or orders_value < 0

    union all

    {{ currency_code_problems('keyed', 'currency', 'currency') }}

),

verdict as (

    -- one message per problem: the first 20 are listed, then how many more there are
    {{ input_problem_verdict('problems', 'keyed', where) }}

),

final as (

    select
        keyed.seller_name,
        keyed.day_value as day,
        keyed.currency,
        keyed.gmv_value as gmv,
        keyed.orders_value as orders,
        keyed.source_line,
        '{{ label }}' as kpi_source

    from keyed
    cross join verdict
    -- a file with any problem fails the build with every problem listed
    where {{ fail_on_input_problems('verdict', 'seller KPI file ' ~ label) }}

)

select * from final
