{#-
    Incremental strategy `replace_window` (used by the daily facts): in one transaction, delete every
    target row of the report-date window (vars min_report_date / max_report_date) and insert the
    rebuilt rows of that window. Unlike key-based delete+insert, a day that became empty on re-load
    (a zero-row marker file) loses its old rows. Without a window the whole table is replaced.
    The window column is `report_date` unless the model sets meta.window_column.
-#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set window_column = (config.get('meta') or {}).get('window_column', 'report_date') -%}
    {%- set predicate = report_window_predicate(window_column) -%}

    delete from {{ target }}
    where {{ predicate }};

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ source }}
    where {{ predicate }}
    order by {{ window_column }};
{%- endmacro %}
