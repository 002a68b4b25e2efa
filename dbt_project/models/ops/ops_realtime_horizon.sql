{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row (none without real-time data): how far the real-time data reach. `as_of` is the end
-- (exclusive) of the newest minute with any activity: the API lags ~10 minutes and its clock is not
-- ours, so "now" is read from the data rather than from the wall clock.
select
    max(minute_start) + to_minutes(1) as as_of,
    min(minute_start) as covered_from,
    arg_max(export_id, extracted_at) as latest_export_id,
    max(extracted_at) as latest_extracted_at,
    count(distinct export_id) as exports
from {{ ref('ops_realtime_minutes') }}
having count(*) > 0
