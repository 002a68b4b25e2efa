{#-
    The marketplace's own seller KPIs for the seller portal: env MPO_SELLER_KPIS (a .csv or
    .parquet file, chosen by suffix; relative paths resolve against the working directory of the
    dbt process). Optional: without it the KPI columns of the portal marts are NULL.

    Required columns: `seller_name` (the MPO sellerName, text), `day` (YYYY-MM-DD), `gmv` (gross
    merchandise value of the seller's orders that day: a number >= 0) and `orders` (a whole number
    >= 0). Optional column `currency` (ISO 4217 code of gmv; empty or absent = the currency of each
    advertiser the seller sells under, which suits a marketplace with one currency).
-#}

{% macro seller_kpis_required_columns() -%}
    {{ return(['seller_name', 'day', 'gmv', 'orders']) }}
{%- endmacro %}


{% macro seller_kpis_optional_columns() -%}
    {{ return(['currency']) }}
{%- endmacro %}


{#- The KPI file as a marketplace_file_input dict (macros/seller_directory.sql); `given` false without one. -#}
{% macro seller_kpis_input() -%}
    {{ return(marketplace_file_input(
        'MPO_SELLER_KPIS', 'seller KPI file', seller_kpis_required_columns(),
        seller_kpis_optional_columns())) }}
{%- endmacro %}
