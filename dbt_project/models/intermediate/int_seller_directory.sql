{{ config(materialized='table') }}
-- one row per seller_name: the validated seller directory. A bad directory fails the build here,
-- with one message per offending row (line and seller_name) and problem.
{%- set input = seller_directory_input(ref('demo_seller_directory')) %}
{%- set where = input.line_word ~ ' ' %}

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
        try_cast(trim(cast(ad_fee_rate as varchar)) as double) as ad_fee_rate_value

    from source

),

numbered as (

    select
        *,
        count(*) over (partition by seller_name) as name_occurrences,
        string_agg(cast(source_line as varchar), ', ' order by source_line)
            over (partition by seller_name) as name_lines
    from renamed

),

problems as (

    select source_line, 'seller_name is empty' as problem
    from numbered
    where seller_name is null or trim(seller_name) = ''

    union all

    select source_line, 'seller_name is not unique ({{ input.line_word }}s ' || name_lines || ')'
    from numbered
    where name_occurrences > 1 and seller_name is not null

    {%- for rate in ['commission_rate', 'ad_fee_rate'] %}

    union all

    select
        source_line,
        '{{ rate }} ' || coalesce('''' || {{ rate }}_text || '''', 'is empty')
            || case when {{ rate }}_text is not null then ' is not a number between 0 and 1' else '' end
    from numbered
    where {{ rate }}_value is null or not ({{ rate }}_value between 0 and 1) or isnan({{ rate }}_value)
    {%- endfor %}

),

located as (

    select
        problems.source_line,
        '{{ where | replace("'", "''") }}' || problems.source_line
            || coalesce(' (seller_name ''' || numbered.seller_name || ''')', '')
            || ': ' || problems.problem as message
    from problems
    inner join numbered on numbered.source_line = problems.source_line

),

verdict as (

    -- the first 20 problems are listed, then how many more there are
    select
        count(*) as problem_count,
        string_agg(message, '; ' order by problem_rank) filter (where problem_rank <= 20)
            || case when count(*) > 20 then '; ... and ' || (count(*) - 20) || ' more' else '' end
            as messages
    from (select *, row_number() over (order by source_line, message) as problem_rank from located)

),

final as (

    select
        numbered.seller_name,
        numbered.seller_legal_name,
        numbered.country,
        numbered.seller_tier,
        numbered.account_manager,
        cast(numbered.commission_rate_value as decimal(10, 6)) as commission_rate,
        cast(numbered.ad_fee_rate_value as decimal(10, 6)) as ad_fee_rate,
        numbered.source_line,
        '{{ input.label | replace("'", "''") }}' as directory_source

    from numbered
    cross join verdict
    -- a directory with any problem fails the build with every problem listed
    where case
        when verdict.problem_count > 0
            then error('invalid seller directory {{ input.label | replace("'", "''") }}: ' || verdict.problem_count || ' problem(s): ' || verdict.messages)
        else true
    end

)

select * from final
