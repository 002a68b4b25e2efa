{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row (none before the first logged export): the pipeline's clock and how far the real-time
-- data reach against it. "now" is env MPO_OPS_NOW (the Dagster asset passes the pipeline's
-- clock), else env MPO_NOW, else the database's current time: never a time read from the data, so
-- an outage (empty exports) or a stale cached export cannot stop the clock.
-- `as_of` is now minus the API's latency (var('ops_latency_minutes'), ~10 minutes): the newest
-- minute an export can hold. `covered_from`/`covered_to` is the window the newest tick's exports
-- claim.
{%- set clock = env_var('MPO_OPS_NOW', '') or env_var('MPO_NOW', '') %}
{%- set now = ("timestamptz '" ~ (clock | replace("'", "")) ~ "'")
    if clock else 'current_timestamp' %}

with

clock as (

    select cast({{ now }} as timestamp with time zone) as now

),

exports as (

    select * from {{ ref('ops_realtime_exports') }}

),

newest as (

    -- the exports of the newest tick (one per currency, all requested at the same clock)
    select
        min(window_start) as window_start,
        max(window_end) as window_end,
        arg_max(export_id, extracted_at) as export_id,
        max(requested_at) as requested_at,
        max(extracted_at) as extracted_at
    from exports
    where
        requested_at = (
            select max(all_exports.requested_at) as newest_requested_at
            from exports as all_exports
        )
    having count(*) > 0

),

activity as (

    -- end of the newest minute with activity, as the newest exports tell (superseded rows are gone)
    select
        max(minute_start + to_minutes(cast(coalesce(bucket_minutes, 1) as integer)))
            as newest_activity
    from {{ ref('ops_realtime_minutes') }}
    where clicks > 0 or displays > 0 or cost > 0

),

final as (

    select
        c.now,
        date_trunc('minute', c.now) - to_minutes({{ var('ops_latency_minutes', 10) | int }})
            as as_of,
        n.window_start as covered_from,
        n.window_end as covered_to,
        n.export_id as latest_export_id,
        n.requested_at as latest_requested_at,
        n.extracted_at as latest_extracted_at,
        a.newest_activity,
        round((epoch(c.now) - epoch(n.requested_at)) / 60.0, 1) as export_age_minutes,
        round((epoch(c.now) - epoch(a.newest_activity)) / 60.0, 1) as data_lag_minutes,
        (select count(*) as export_count from exports) as exports
    from clock as c
    cross join newest as n
    cross join activity as a

)

select * from final
