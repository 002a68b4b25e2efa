{#-
    Validation of the marketplace's input files read by dbt (the seller directory and the seller
    KPI file: macros/seller_directory.sql, macros/seller_kpis.sql). Each model lists its problems
    (one row per source_line and problem), these macros turn them into one message per problem, a
    verdict, and an error that fails the build with every problem listed.
-#}

{#-
    SQL: one problem row (source_line, problem) per row of `relation` whose `column` is set but is
    not an ISO 4217 code (3 capital letters); `name` is the column's name in the file.
-#}
{% macro currency_code_problems(relation, name, column) -%}
    select
        source_line,
        '{{ name }} ''' || {{ column }}
        || ''' is not an ISO 4217 code (3 capital letters; empty = the advertiser''s currency)'
            as problem
    from {{ relation }}
    where {{ column }} is not null and not regexp_full_match({{ column }}, '[A-Z]{3}')
{%- endmacro %}


{#-
    SQL: one row per problem of `problems` (source_line, problem) with its `message`: `where` (the
    file and the word for its lines, e.g. "seller directory x.csv line "), the line, the
    seller_name of that line in `rows` (when it has one) and the problem.
-#}
{% macro input_problem_messages(problems, rows, where) -%}
    select
        {{ problems }}.source_line,
        '{{ where | replace("'", "''") }}' || {{ problems }}.source_line
        || coalesce(' (seller_name ''' || {{ rows }}.seller_name || ''')', '')
        || ': ' || {{ problems }}.problem as message
    from {{ problems }}
    inner join {{ rows }} on {{ problems }}.source_line = {{ rows }}.source_line
{%- endmacro %}


{#-
    SQL: one row over the problems of `problems` (source_line, problem; `rows` and `where` as in
    input_problem_messages): `problem_count`, and `messages`, the first 20 messages in line order,
    then how many more there are.
-#}
{% macro input_problem_verdict(problems, rows, where) -%}
    select
        count(*) as problem_count,
        string_agg(message, '; ' order by problem_rank) filter (where problem_rank <= 20)
        || case when count(*) > 20 then '; ... and ' || (count(*) - 20) || ' more' else '' end
            as messages
    from (
        select
            *,
            row_number() over (order by source_line, message) as problem_rank
        from (
            {{ input_problem_messages(problems, rows, where) }}
        ) as located
    ) as ranked
{%- endmacro %}


{#-
    SQL: a boolean condition, true when `verdict` (input_problem_verdict) has no problem; else it
    fails the query with 'invalid <what>: N problem(s): <messages>'. `what` is inserted in a SQL
    string literal as given (quotes already doubled).
-#}
{% macro fail_on_input_problems(verdict, what) -%}
    case
        when {{ verdict }}.problem_count > 0
            then error(
                'invalid {{ what }}: '
                || {{ verdict }}.problem_count || ' problem(s): ' || {{ verdict }}.messages
            )
        else true
    end
{%- endmacro %}
