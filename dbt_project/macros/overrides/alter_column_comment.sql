{#-
    Overrides dbt-duckdb's `duckdb__alter_column_comment` (dispatch finds the project's macro first)
    for one case: DuckLake stores no column comments on views ("Cannot comment on columns for
    entry ... - it is not a table"), so on a DuckLake warehouse the columns of the staging and
    intermediate views are left without comments (the view's own comment is kept). Every other
    relation, and every relation of a DuckDB file warehouse, is commented exactly as by dbt-duckdb.
-#}
{% macro duckdb__alter_column_comment(relation, column_dict) %}
  {%- if relation.is_view and adapter.is_ducklake(relation) -%}
    {{ return('') }}
  {%- endif -%}
  {% set existing_columns = adapter.get_columns_in_relation(relation) | map(attribute="name") | list %}
  {% for column_name in column_dict if (column_name in existing_columns) %}
    {% set comment = column_dict[column_name]['description'] %}
    {% set escaped_comment = duckdb_escape_comment(comment) %}
    comment on column {{ relation }}.{{ adapter.quote(column_name) if column_dict[column_name]['quote'] else column_name }} is {{ escaped_comment }};
  {% endfor %}
{% endmacro %}
