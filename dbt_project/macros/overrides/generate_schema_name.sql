{#-
    Overrides dbt's built-in `generate_schema_name` (dbt looks for a macro of that name in the
    project first).
    The warehouse contract (docs/architecture.md) names real schemas: staging, intermediate, marts, finance,
    ops. A `+schema:` config is therefore used as the schema name itself (dbt's default would
    prefix it with the target schema, giving `main_marts`). Nodes without one go to the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim | lower }}
    {%- endif -%}
{%- endmacro %}
