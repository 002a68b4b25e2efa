-- one row per seller_name and valid_from: the seller directory's rates over time. A row holds from
-- valid_from (NULL = since ever) to valid_to (exclusive: the next row's valid_from; NULL = still
-- valid). Statements and the P&L apply, day by day, the row valid on each report day.

with

seller_directory as (

    select * from {{ ref('int_seller_directory') }}

),

final as (

    select
        seller_name,
        valid_from,
        valid_to,
        commission_rate,
        ad_fee_rate,
        seller_legal_name,
        country,
        seller_tier,
        account_manager,
        (valid_from is null or valid_from <= {{ rates_as_of_date() }})
        and (valid_to is null or valid_to > {{ rates_as_of_date() }}) as is_current,
        source_line,
        directory_source

    from seller_directory

)

select * from final
order by seller_name, valid_from nulls first
