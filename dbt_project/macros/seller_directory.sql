{#-
    The marketplace's seller directory: env MPO_SELLER_DIRECTORY (a .csv or .parquet file, chosen by
    suffix; relative paths resolve against the working directory of the dbt process, like the
    Python settings) when set and not empty, else the seed `demo_seller_directory`.

    Optional column `valid_from` (YYYY-MM-DD; empty = valid since ever): a seller may have several
    rows, each valid from its date until the next row of the same seller. A directory without the
    column has one row per seller, valid since ever.

    Optional columns `monthly_ad_spend_cap` (a number >= 0 in `cap_currency`; empty = no cap) and
    `cap_currency` (ISO 4217 code; empty or absent = the currency of each advertiser the seller
    sells under): the seller portal's spend cap (models/marts/seller_portal).
-#}

{% macro seller_directory_required_columns() -%}
    {{ return(['seller_name', 'seller_legal_name', 'country', 'seller_tier', 'account_manager',
               'commission_rate', 'ad_fee_rate']) }}
{%- endmacro %}


{% macro seller_directory_optional_columns() -%}
    {{ return(['valid_from', 'monthly_ad_spend_cap', 'cap_currency']) }}
{%- endmacro %}


{#-
    Returns a dict: `label` (for messages), `numbered_sql` (every column plus `_line_number`, the
    line of the row in the file: header = line 1 for CSV; row number for Parquet), `line_word`
    (line / row) and `optional` (the optional columns present, e.g. ['valid_from']).
    At run time checks that the file exists and has every required column, failing with a message
    that names the file and the missing columns.
-#}
{% macro seller_directory_input(seed_relation) -%}
    {{ return(marketplace_file_input(
        'MPO_SELLER_DIRECTORY', 'seller directory', seller_directory_required_columns(),
        seller_directory_optional_columns(), seed_relation=seed_relation,
        seed_label='seed demo_seller_directory (seeds/demo_seller_directory.csv)')) }}
{%- endmacro %}


{#-
    A file of the marketplace's own data named by env `variable` (.csv read as text, or .parquet),
    validated by the model that reads it. Without the variable: the seed `seed_relation` when given,
    else no file (`given` false, `numbered_sql` an empty relation with the required columns).
    Returns a dict: `given`, `label`, `numbered_sql` (every column plus `_line_number`: header =
    line 1 for CSV, so the first row is 2; for Parquet the row number + 1, alike), `line_word`
    (line / row) and `optional` (the optional columns present). At run time checks that the file
    exists and has every required column, failing with a message that names `what`, the file and
    the missing columns.
-#}
{% macro marketplace_file_input(variable, what, required, optional_columns, seed_relation=none, seed_label=none) -%}
    {%- set path = env_var(variable, '') | trim -%}
    {%- set given = path != '' -%}
    {%- if given -%}
        {%- set suffix = path.split('.')[-1] | lower -%}
        {%- set label = variable ~ '=' ~ path -%}
        {%- if suffix == 'csv' -%}
            {%- set reader = "read_csv(" ~ sql_string(path) ~ ", header = true, all_varchar = true)" -%}
            {%- set numbered = "select *, row_number() over () + 1 as _line_number from " ~ reader -%}
            {%- set line_word = 'line' -%}
        {%- elif suffix == 'parquet' -%}
            {%- set reader = "read_parquet(" ~ sql_string(path) ~ ")" -%}
            {%- set numbered = "select * exclude (file_row_number), file_row_number + 1 as _line_number from read_parquet("
                ~ sql_string(path) ~ ", file_row_number = true)" -%}
            {%- set line_word = 'row' -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                what ~ " " ~ variable ~ "=" ~ path ~ " must be a .csv or .parquet file") }}
        {%- endif -%}
    {%- elif seed_relation is not none -%}
        {%- set label = seed_label -%}
        {%- set reader = seed_relation -%}
        {%- set numbered = "select *, row_number() over () + 1 as _line_number from " ~ seed_relation -%}
        {%- set line_word = 'line' -%}
    {%- else -%}
        {%- set label = variable ~ ' not set' -%}
        {%- set empty = [] -%}
        {%- for column in required -%}{%- do empty.append('cast(null as varchar) as ' ~ column) -%}{%- endfor -%}
        {%- set numbered = "select " ~ empty | join(', ') ~ ", cast(null as bigint) as _line_number where false" -%}
        {%- set line_word = 'line' -%}
    {%- endif -%}

    {%- set optional = [] -%}
    {%- if execute and (given or seed_relation is not none) -%}
        {%- set readable = true -%}
        {%- if given -%}
            {%- set found = run_query("select count(*) from glob(" ~ sql_string(path) ~ ")").columns[0].values()[0] -%}
            {%- if found == 0 -%}
                {{ exceptions.raise_compiler_error(what ~ " " ~ label ~ ": file not found") }}
            {%- endif -%}
        {%- else -%}
            {%- set readable = adapter.get_relation(
                database=seed_relation.database, schema=seed_relation.schema,
                identifier=seed_relation.identifier) is not none -%}
        {%- endif -%}
        {%- if readable -%}
            {%- set present = run_query("select * from " ~ reader ~ " limit 0").column_names | map('lower') | list -%}
            {%- set missing = [] -%}
            {%- for column in required -%}
                {%- if column not in present -%}{%- do missing.append(column) -%}{%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    what ~ " " ~ label ~ ": " ~ ('line 1 (header)' if line_word == 'line' else 'schema')
                    ~ ": missing required column(s) " ~ missing | join(', ')
                    ~ " (found: " ~ present | join(', ') ~ "; required: "
                    ~ required | join(', ') ~ ")") }}
            {%- endif -%}
            {%- for column in optional_columns -%}
                {%- if column in present -%}{%- do optional.append(column) -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}

    {{ return({'given': given, 'label': label, 'numbered_sql': numbered, 'line_word': line_word,
               'optional': optional}) }}
{%- endmacro %}
