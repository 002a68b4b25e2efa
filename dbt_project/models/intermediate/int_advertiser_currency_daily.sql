-- one row per advertiser_id, currency_date: the currency `GET /advertisers` showed on that day (the
-- metadata snapshot taken that day). The API shows only the current currency and stats rows carry
-- none, so this is the only record of the currency a past day's amounts are in: a day re-loaded
-- after a currency change is stamped with the new currency at extraction, its snapshot of the day
-- still says which one it was in (the daily run snapshots the metadata every day).
with

snapshots as (

    select * from {{ ref('stg_mpo__advertisers') }}
    -- a run's window of days needs only the snapshots taken on those days
    where {{ report_window_predicate('snapshot_date') }}

),

final as (

    select
        advertiser_id,
        snapshot_date as currency_date,
        currency
    from snapshots
    where currency is not null
    -- one snapshot per day (a re-run the same day replaces it); the latest row wins regardless
    qualify row_number() over (
        partition by advertiser_id, snapshot_date order by extracted_at desc
    ) = 1

)

select * from final
