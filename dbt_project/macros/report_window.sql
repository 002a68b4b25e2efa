{#-
    The report-date window of a run: vars `min_report_date` / `max_report_date` (ISO dates,
    inclusive), else the environment variables MPO_MIN_REPORT_DATE / MPO_MAX_REPORT_DATE, which
    the pipeline's daily-facts step sets. Both absent (or null/empty) = no window: build
    everything. Anything else that is not a pair of valid ISO dates with min <= max fails at
    compile time, naming the bad value.
    The environment is read at run time only (`execute`): dbt then never records the variables
    in its parse, so a new window keeps the saved parse, where new --vars make dbt parse the
    whole project again (several CPU seconds per run).
-#}
{% macro report_window() -%}
    {%- set raw_min = var('min_report_date', none) -%}
    {%- set raw_max = var('max_report_date', none) -%}
    {%- if raw_min is none and raw_max is none and execute -%}
        {%- set raw_min = env_var('MPO_MIN_REPORT_DATE', '') or none -%}
        {%- set raw_max = env_var('MPO_MAX_REPORT_DATE', '') or none -%}
    {%- endif -%}
    {%- set lo = (raw_min | string | trim) if raw_min is not none else '' -%}
    {%- set hi = (raw_max | string | trim) if raw_max is not none else '' -%}
    {%- if lo in ('', 'None', 'none', 'null') and hi in ('', 'None', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if lo in ('', 'None', 'none', 'null') or hi in ('', 'None', 'none', 'null') -%}
        {{ exceptions.raise_compiler_error(
            "pass both vars min_report_date and max_report_date (got min_report_date=" ~ raw_min
            ~ ", max_report_date=" ~ raw_max ~ ")") }}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for name, value in [('min_report_date', lo), ('max_report_date', hi)] -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ "=" ~ value ~ " is not an ISO date YYYY-MM-DD") }}
        {%- endif -%}
        {%- do parsed.append(modules.datetime.datetime.strptime(value, '%Y-%m-%d').date()) -%}
    {%- endfor -%}
    {%- if parsed[0] > parsed[1] -%}
        {{ exceptions.raise_compiler_error("min_report_date=" ~ lo ~ " is after max_report_date=" ~ hi) }}
    {%- endif -%}
    {{ return({'min': parsed[0].isoformat(), 'max': parsed[1].isoformat()}) }}
{%- endmacro %}


{#- SQL predicate keeping rows of `column` (a DATE) inside the window; `true` without a window. -#}
{% macro report_window_predicate(column='report_date') -%}
    {%- set w = report_window() -%}
    {%- if w is none -%}
        true
    {%- else -%}
        {{ column }} between date '{{ w.min }}' and date '{{ w.max }}'
    {%- endif -%}
{%- endmacro %}


{#-
    Predicate on a `month` column (DATE, first day of month) keeping the months the window touches:
    a window restating 2026-01-15..2026-02-14 rebuilds January and February.
-#}
{% macro report_window_month_predicate(column='month') -%}
    {%- set w = report_window() -%}
    {%- if w is none -%}
        true
    {%- else -%}
        {{ column }} between date_trunc('month', date '{{ w.min }}') and date_trunc('month', date '{{ w.max }}')
    {%- endif -%}
{%- endmacro %}


{#-
    Tests that read the lake (tag lake_scan) use `__lake_window__` / `__snapshot_window__`: with
    window vars, the report days of the window / the snapshots taken since it started; without,
    the last var('lake_test_days') report days / var('metadata_lookback_days') snapshots of the lake,
    so that a run without vars does not rescan the whole history either.
-#}
{% macro lake_test_window_predicate(column='report_date') -%}
    {%- if report_window() is none -%}
        {{ return(recent_report_dates_predicate(column)) }}
    {%- endif -%}
    {{ return(report_window_predicate(column)) }}
{%- endmacro %}

{% macro snapshot_test_window_predicate(relation, column='snapshot_date') -%}
    {%- set w = report_window() -%}
    {%- if w is not none -%}
        {{ return(column ~ " >= date '" ~ w.min ~ "'") }}
    {%- endif -%}
    {%- set entity = relation.identifier | replace('stg_mpo__', '') -%}
    {{ return(recent_snapshots_predicate('metadata_' ~ entity, column)) }}
{%- endmacro %}
