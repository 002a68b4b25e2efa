{#-
    Overrides dbt's built-in `get_where_subquery` (dbt looks for a macro of that name in the project
    first). dbt's own version wraps a data test's relation in `where <config.where>`; this one
    first replaces the placeholders below, which only exist at run time (they depend on the run's
    window vars and on what the lake holds).

    Data tests accept `config: {where: "__report_window__"}` (or `__report_month_window__`) so that
    a windowed run tests the rows it rebuilt instead of rescanning the whole history; without a
    window that placeholder becomes `true` and the test covers everything. Tests that read the lake
    use `__lake_window__` / `__snapshot_window__` (bounded even without a window: macros/report_window.sql).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__report_window__' in where -%}
            {%- set where = where | replace('__report_window__', report_window_predicate('report_date')) -%}
        {%- endif -%}
        {%- if '__report_month_window__' in where -%}
            {%- set where = where | replace('__report_month_window__', report_window_month_predicate('month')) -%}
        {%- endif -%}
        {%- if '__lake_window__' in where -%}
            {%- set where = where | replace('__lake_window__', lake_test_window_predicate('report_date')) -%}
        {%- endif -%}
        {%- if '__snapshot_window__' in where -%}
            {%- set where = where | replace('__snapshot_window__', snapshot_test_window_predicate(relation, 'snapshot_date')) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
