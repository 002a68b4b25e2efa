{#-
    The marketplace's seller directory: env MPO_SELLER_DIRECTORY (a .csv or .parquet file, chosen by
    suffix; relative paths resolve against the working directory of the dbt process, like the
    Python settings) when set and not empty, else the seed `demo_seller_directory`.

    Optional column `valid_from` (YYYY-MM-DD; empty = valid since ever): a seller may have several
    rows, each valid from its date until the next row of the same seller. A directory without the
    column has one row per seller, valid since ever.
-#}

{% macro seller_directory_required_columns() -%}
    {{ return(['seller_name', 'seller_legal_name', 'country', 'seller_tier', 'account_manager',
               'commission_rate', 'ad_fee_rate']) }}
{%- endmacro %}


{% macro seller_directory_optional_columns() -%}
    {{ return(['valid_from']) }}
{%- endmacro %}


{#-
    Returns a dict: `label` (for messages), `numbered_sql` (every column plus `_line_number`, the
    line of the row in the file: header = line 1 for CSV; row number for Parquet), `line_word`
    (line / row) and `optional` (the optional columns present, e.g. ['valid_from']).
    At run time checks that the file exists and has every required column, failing with a message
    that names the file and the missing columns.
-#}
{% macro seller_directory_input(seed_relation) -%}
    {%- set path = env_var('MPO_SELLER_DIRECTORY', '') | trim -%}
    {%- if path -%}
        {%- set suffix = path.split('.')[-1] | lower -%}
        {%- if suffix == 'csv' -%}
            {%- set label = 'MPO_SELLER_DIRECTORY=' ~ path -%}
            {%- set reader = "read_csv(" ~ sql_string(path) ~ ", header = true, all_varchar = true)" -%}
            {%- set numbered = "select *, row_number() over () + 1 as _line_number from " ~ reader -%}
            {%- set line_word = 'line' -%}
        {%- elif suffix == 'parquet' -%}
            {%- set label = 'MPO_SELLER_DIRECTORY=' ~ path -%}
            {%- set reader = "read_parquet(" ~ sql_string(path) ~ ")" -%}
            {%- set numbered = "select * exclude (file_row_number), file_row_number + 1 as _line_number from read_parquet("
                ~ sql_string(path) ~ ", file_row_number = true)" -%}
            {%- set line_word = 'row' -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "seller directory MPO_SELLER_DIRECTORY=" ~ path ~ " must be a .csv or .parquet file") }}
        {%- endif -%}
    {%- else -%}
        {%- set label = 'seed demo_seller_directory (seeds/demo_seller_directory.csv)' -%}
        {%- set reader = seed_relation -%}
        {%- set numbered = "select *, row_number() over () + 1 as _line_number from " ~ seed_relation -%}
        {%- set line_word = 'line' -%}
    {%- endif -%}

    {%- set optional = [] -%}
    {%- if execute -%}
        {%- set readable = true -%}
        {%- if path -%}
            {%- set found = run_query("select count(*) from glob(" ~ sql_string(path) ~ ")").columns[0].values()[0] -%}
            {%- if found == 0 -%}
                {{ exceptions.raise_compiler_error("seller directory " ~ label ~ ": file not found") }}
            {%- endif -%}
        {%- else -%}
            {%- set readable = adapter.get_relation(
                database=seed_relation.database, schema=seed_relation.schema,
                identifier=seed_relation.identifier) is not none -%}
        {%- endif -%}
        {%- if readable -%}
            {%- set present = run_query("select * from " ~ reader ~ " limit 0").column_names | map('lower') | list -%}
            {%- set missing = [] -%}
            {%- for column in seller_directory_required_columns() -%}
                {%- if column not in present -%}{%- do missing.append(column) -%}{%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "seller directory " ~ label ~ ": " ~ ('line 1 (header)' if line_word == 'line' else 'schema')
                    ~ ": missing required column(s) " ~ missing | join(', ')
                    ~ " (found: " ~ present | join(', ') ~ "; required: "
                    ~ seller_directory_required_columns() | join(', ') ~ ")") }}
            {%- endif -%}
            {%- for column in seller_directory_optional_columns() -%}
                {%- if column in present -%}{%- do optional.append(column) -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}

    {{ return({'label': label, 'numbered_sql': numbered, 'line_word': line_word, 'optional': optional}) }}
{%- endmacro %}
