{{ config(schema='ops', materialized='view', tags=['ops']) }}
-- one row per real-time export landed in the last var('ops_realtime_days') export days (from the
-- export log, so an empty export, the trace of an outage, counts too): when the pipeline asked for
-- it, the window it claims and its newest activity. Raw real-time lineage: monitoring only.
{#- The log lives next to the exports (lake/realtime_log): same root, so the same glob, moved. -#}
{%- set glob = (
    lake_glob('realtime_exports') | replace('/realtime/export_date=', '/realtime_log/export_date=')
) if execute else '' %}
{%- set newest = newest_partition_date(glob, 'export_date') if execute else none %}
-- lineage: the log is written with the exports, by the same asset
-- depends_on: {{ source('mpo_lake', 'realtime_exports') }}

with

source as (

    {%- if newest is not none %}
        select *
        from read_parquet(
            '{{ glob }}',
            hive_partitioning = true,
            union_by_name = true,
            hive_types = {'export_date': DATE}
        )
        -- bounded read: hive pruning on export_date
        where
            export_date
            >= date '{{ newest }}' - to_days({{ (var('ops_realtime_days', 2) | int) - 1 }})
    {%- else %}
        -- no export logged yet: an empty relation with the log's columns
        select
            cast(null as varchar) as export_id,
            cast(null as date) as export_date,
            cast(null as timestamp with time zone) as requested_at,
            cast(null as timestamp with time zone) as window_start,
            cast(null as timestamp with time zone) as window_end,
            cast(null as bigint) as lookback_minutes,
            cast(null as varchar) as advertiser_ids,
            cast(null as varchar) as currency,
            cast(null as varchar) as download_shape,
            cast(null as bigint) as rows,
            cast(null as bigint) as promised_rows,
            cast(null as timestamp with time zone) as newest_activity,
            cast(null as timestamp with time zone) as extracted_at
        where false
    {%- endif %}

),

renamed as (

    select
        cast(export_id as varchar) as export_id,
        cast(export_date as date) as export_date,
        cast(requested_at as timestamp with time zone) as requested_at,
        cast(window_start as timestamp with time zone) as window_start,
        cast(window_end as timestamp with time zone) as window_end,
        cast(lookback_minutes as bigint) as lookback_minutes,
        cast(advertiser_ids as varchar) as advertiser_ids,
        cast(string_split(advertiser_ids, ',') as bigint[]) as advertiser_id_list,
        cast(currency as varchar) as currency,
        cast(download_shape as varchar) as download_shape,
        cast(rows as bigint) as row_count,
        cast(promised_rows as bigint) as promised_rows,
        cast(newest_activity as timestamp with time zone) as newest_activity,
        cast(extracted_at as timestamp with time zone) as extracted_at

    from source

),

final as (

    select * from renamed

)

select * from final
