{#-
    The daily facts (models/marts/daily/fct_*_stats_daily): one incremental table per stats
    endpoint, built from its int_*_stats_daily_pivoted model.
-#}

{#-
    The config of every daily fact, for `config(**daily_fact_config())`: incremental by report-date
    window (macros/incremental_replace_window.sql; a run with vars min_report_date /
    max_report_date rebuilds exactly that window), failing on a schema change, tag `daily`.
-#}
{% macro daily_fact_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'replace_window',
        'on_schema_change': 'fail',
        'tags': ['daily'],
    }) }}
{%- endmacro %}


{#-
    SQL: `select * from relation`, restricted on an incremental run to the report-date window of
    the run (report_window_predicate); everything when the table is created or fully refreshed.
-#}
{% macro daily_fact_rows(relation) -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
    where {{ report_window_predicate('report_date') }}
    {%- endif %}
{%- endmacro %}


{#-
    SQL select-list columns of a daily fact, after its keys and currency: the policy-independent
    measures, then per attribution policy its sale units, revenue and ratios (macros/ratios.sql).
    No trailing comma.
-#}
{% macro daily_fact_measures() -%}
        impressions,
        clicks,
        cost,

        sale_units_same_seller,
        revenue_same_seller,
        {{ policy_ratios('same_seller') }},

        sale_units_any_seller,
        revenue_any_seller,
        {{ policy_ratios('any_seller') }}
{%- endmacro %}
