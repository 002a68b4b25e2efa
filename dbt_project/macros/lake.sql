{#-
    lake_source(source_name, table_name): the relation to select from for a lake source.

    Sources over the lake are dbt-duckdb `external_location`s (read_parquet over a glob). DuckDB
    fails on a glob that matches no file, and a fresh lake legitimately lacks folders (no control
    totals or budgets yet, no stats before the first load). At run time this macro counts the files
    the glob matches; when there are none it returns an empty relation with the columns and types
    declared for the source in _sources.yml, so the build goes on and the model is simply empty.
    At parse time it returns the source itself, so lineage is recorded as usual.
-#}
{% macro lake_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set glob = glob_of_location(relation.render(), source_name ~ "." ~ table_name) -%}
    {%- set found = run_query("select count(*) from glob('" ~ glob ~ "')").columns[0].values()[0] -%}
    {%- if found > 0 -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ log("lake_source: no file matches " ~ glob ~ "; " ~ source_name ~ "." ~ table_name ~ " is read as empty", info=true) }}
    {{ return(empty_lake_relation(source_name, table_name)) }}
{%- endmacro %}


{#- An empty relation with the columns (and data_type) declared for a source in _sources.yml. -#}
{% macro empty_lake_relation(source_name, table_name) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- if not column.data_type -%}
            {{ exceptions.raise_compiler_error(
                "source " ~ source_name ~ "." ~ table_name ~ ": column " ~ column.name
                ~ " needs a data_type in _sources.yml (used to build an empty relation)") }}
        {%- endif -%}
        {%- do columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return('(select ' ~ columns | join(', ') ~ ' where false)') }}
{%- endmacro %}


{#- The glob of an external_location `read_parquet('<glob>', ...)`; `what` names the source in the error. -#}
{% macro glob_of_location(location, what) -%}
    {%- set match = modules.re.search("read_parquet[(][ ]*'((?:[^']|'')*)'", location or '') -%}
    {%- if match is none -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ what ~ " has no read_parquet('<glob>', ...) external_location: " ~ location) }}
    {%- endif -%}
    {{ return(match.group(1)) }}
{%- endmacro %}


{#- Quote a path as a DuckDB string literal. -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#-
    lake_glob(table_name): the glob of a lake source (from its rendered external_location in the
    graph, so it can be called from any node at run time without declaring a dependency).
-#}
{% macro lake_glob(table_name) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.mpo_lake.' ~ table_name] -%}
    {%- set location = node.meta.get('external_location') or node.config.meta.get('external_location') -%}
    {{ return(glob_of_location(location, 'mpo_lake.' ~ table_name)) }}
{%- endmacro %}


{#- The newest `key=YYYY-MM-DD` folder date among the files of `glob` (a listing, no data read); none if no file. -#}
{% macro newest_partition_date(glob, key) -%}
    {%- set newest = run_query(
        "select max(try_cast(regexp_extract(file, '" ~ key ~ "=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date))"
        ~ " from glob('" ~ glob ~ "')").columns[0].values()[0] -%}
    {{ return(newest) }}
{%- endmacro %}


{#-
    recent_snapshots_predicate(table_name): keeps the metadata snapshots of the last
    var('metadata_lookback_days') (default 31) days before the newest snapshot in the lake, so that
    "latest snapshot per entity" reads a bounded number of daily snapshot folders instead of the
    whole history (hive pruning on snapshot_date). `true` when there is no snapshot yet.
-#}
{% macro recent_snapshots_predicate(table_name, column='snapshot_date') -%}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set newest = newest_partition_date(lake_glob(table_name), 'snapshot_date') -%}
    {%- if newest is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set days = var('metadata_lookback_days', 31) | int -%}
    {{ return(column ~ " >= date '" ~ newest ~ "' - interval " ~ days ~ " day") }}
{%- endmacro %}


{#-
    recent_report_dates_predicate(): report days of the last var('lake_test_days') (default 31) days
    before the newest report day in the lake (all endpoints); `true` when the var is 0 or the lake
    has no stats yet. Bounds the tests that read the lake when a run has no window vars.
-#}
{% macro recent_report_dates_predicate(column='report_date') -%}
    {%- set days = var('lake_test_days', 31) -%}
    {%- if not execute or not days -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set glob = lake_glob('stats_seller_campaigns') | replace('endpoint=seller_campaigns', 'endpoint=*') -%}
    {%- set newest = newest_partition_date(glob, 'report_date') -%}
    {%- if newest is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(column ~ " >= date '" ~ newest ~ "' - interval " ~ (days | int) ~ " day") }}
{%- endmacro %}
