{{ config(materialized='table') }}
-- one row per seller_name and valid_from: the validated seller directory and its rate history.
-- A seller's row is valid from valid_from (NULL = since ever) until the next row of the same
-- seller (valid_to, exclusive; NULL = still valid). A bad directory fails the build here, with one
-- message per offending row (line and seller_name) and problem. The optional spend cap
-- (monthly_ad_spend_cap, cap_currency) feeds the seller portal (models/marts/seller_portal).
{%- set input = seller_directory_input(ref('demo_seller_directory')) %}
{%- set where = input.line_word ~ ' ' %}
{%- set label = input.label | replace("'", "''") %}
{%- set has_valid_from = 'valid_from' in input.optional %}

with

source as (

    {{ input.numbered_sql }}

),

renamed as (

    select
        cast(_line_number as bigint) as source_line,
        cast(seller_name as varchar) as seller_name,
        nullif(trim(cast(seller_legal_name as varchar)), '') as seller_legal_name,
        nullif(trim(cast(country as varchar)), '') as country,
        nullif(trim(cast(seller_tier as varchar)), '') as seller_tier,
        nullif(trim(cast(account_manager as varchar)), '') as account_manager,
        cast(commission_rate as varchar) as commission_rate_text,
        cast(ad_fee_rate as varchar) as ad_fee_rate_text,
        try_cast(trim(cast(commission_rate as varchar)) as double) as commission_rate_value,
        try_cast(trim(cast(ad_fee_rate as varchar)) as double) as ad_fee_rate_value,
        {%- if has_valid_from %}
            nullif(trim(cast(valid_from as varchar)), '') as valid_from_text,
        {%- else %}
            -- no valid_from column: every row is valid since ever (one row per seller)
            cast(null as varchar) as valid_from_text,
        {%- endif %}
        {%- for column in ['monthly_ad_spend_cap', 'cap_currency'] %}
            {%- if column in input.optional %}
                nullif(trim(cast({{ column }} as varchar)), '') as {{ column }}_text
            {%- else %}
                -- no {{ column }} column: no spend cap
                cast(null as varchar) as {{ column }}_text
            {%- endif %}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from source

),

parsed as (

    select
        *,
        -- strictly YYYY-MM-DD (a Parquet DATE column reads the same way)
        case
            when regexp_full_match(valid_from_text, '\d{4}-\d{2}-\d{2}')
                then cast(try_strptime(valid_from_text, '%Y-%m-%d') as date)
        end as valid_from_value,
        -- a plain decimal number (no exponent, no sign): money in cap_currency
        case
            when regexp_full_match(monthly_ad_spend_cap_text, '\d+(\.\d+)?')
                then try_cast(monthly_ad_spend_cap_text as {{ money_type() }})
        end as monthly_ad_spend_cap_value
    from renamed

),

numbered as (

    select
        *,
        count(*) over (partition by seller_name, valid_from_key) as version_occurrences,
        string_agg(cast(source_line as varchar), ', ' order by source_line)
            over (partition by seller_name, valid_from_key) as version_lines
    from (
        -- one seller's rows with the same valid_from: parsed date, else the bad text (NULL = empty)
        select
            *,
            coalesce(cast(valid_from_value as varchar), valid_from_text) as valid_from_key
        from parsed
    ) as keyed

),

problems as (

    select
        source_line,
        'seller_name is empty' as problem
    from numbered
    where seller_name is null or trim(seller_name) = ''

    union all

    select
        source_line,
        'seller_name is not unique ({{ input.line_word }}s ' || version_lines || ')'
        {%- if has_valid_from %}
            || coalesce(
                ' with the same valid_from ' || valid_from_key, ' with the same empty valid_from'
            )
        {%- endif %}
            as problem
    from numbered
    where version_occurrences > 1 and seller_name is not null

    union all

    select
        source_line,
        'valid_from ''' || valid_from_text
        || ''' is not a date (YYYY-MM-DD; empty = valid since ever)' as problem
    from numbered
    where valid_from_text is not null and valid_from_value is null

    {%- for rate in ['commission_rate', 'ad_fee_rate'] %}

        union all

        select
            source_line,
            '{{ rate }} ' || coalesce('''' || {{ rate }}_text || '''', 'is empty')
            || case
                when {{ rate }}_text is not null then ' is not a number between 0 and 1' else ''
            end as problem
        from numbered
        where
            {{ rate }}_value is null
            or not ({{ rate }}_value between 0 and 1)
            or isnan({{ rate }}_value)
    {%- endfor %}

    union all

    select
        source_line,
        'monthly_ad_spend_cap ''' || monthly_ad_spend_cap_text
        || ''' is not a number >= 0 (empty = no cap)' as problem
    from numbered
    where monthly_ad_spend_cap_text is not null and monthly_ad_spend_cap_value is null

    union all

    {{ currency_code_problems('numbered', 'cap_currency', 'cap_currency_text') }}

),

verdict as (

    -- one message per problem: the first 20 are listed, then how many more there are
    {{ input_problem_verdict('problems', 'numbered', where) }}

),

final as (

    select
        numbered.seller_name,
        numbered.valid_from_value as valid_from,
        lead(numbered.valid_from_value) over (
            partition by numbered.seller_name order by numbered.valid_from_value asc nulls first
        ) as valid_to,
        numbered.seller_legal_name,
        numbered.country,
        numbered.seller_tier,
        numbered.account_manager,
        cast(numbered.commission_rate_value as decimal(10, 6)) as commission_rate,
        cast(numbered.ad_fee_rate_value as decimal(10, 6)) as ad_fee_rate,
        numbered.monthly_ad_spend_cap_value as monthly_ad_spend_cap,
        case
            when numbered.monthly_ad_spend_cap_value is not null then numbered.cap_currency_text
        end as cap_currency,
        numbered.source_line,
        '{{ label }}' as directory_source

    from numbered
    cross join verdict
    -- a directory with any problem fails the build with every problem listed
    where {{ fail_on_input_problems('verdict', 'seller directory ' ~ label) }}

)

select * from final
