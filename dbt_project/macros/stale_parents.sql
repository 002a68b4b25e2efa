{#-
    Cross-model data tests (relationships to a dimension, totals between two models) compare two
    relations. When this invocation rebuilds one of them but not a model downstream of it -
    `dbt build --select tag:daily` rebuilds the daily facts, the dimensions and monthly marts follow
    in the next (unpartitioned) invocation - the downstream one is stale *for now*, and dbt's eager
    test selection would still run the test and fail it. Such a test is skipped in that invocation
    (with a log line) and runs in the one that rebuilds the downstream model.

    Returns the unique_ids of this test's parents that are not rebuilt by this invocation but are
    downstream of a parent that is. Must be called from a test (the context `model` is the test node).
-#}
{% macro stale_test_parents() -%}
    {%- if not execute or not selected_resources -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set parents = [] -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- if unique_id in graph.nodes -%}{%- do parents.append(unique_id) -%}{%- endif -%}
    {%- endfor -%}
    {%- set rebuilt = [] -%}
    {%- for p in parents -%}
        {%- if p in selected_resources -%}{%- do rebuilt.append(p) -%}{%- endif -%}
    {%- endfor -%}
    {%- set stale = [] -%}
    {%- for p in parents -%}
        {%- if p not in selected_resources and rebuilt -%}
            {#- breadth-first walk of p's ancestors, looking for a rebuilt parent -#}
            {%- set queue = [p] -%}
            {%- set seen = [] -%}
            {%- for _ in range(10000) -%}
                {%- if queue -%}
                    {%- set current = queue.pop(0) -%}
                    {%- set node = graph.nodes.get(current) -%}
                    {%- if node is not none -%}
                        {%- for up in node.depends_on.nodes -%}
                            {%- if up not in seen -%}
                                {%- do seen.append(up) -%}
                                {%- do queue.append(up) -%}
                            {%- endif -%}
                        {%- endfor -%}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for r in rebuilt -%}
                {%- if r in seen and p not in stale -%}{%- do stale.append(p) -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(stale) }}
{%- endmacro %}


{#- SQL of a passing test, and a log line, when stale_test_parents() is not empty. -#}
{% macro skip_if_stale_parents() -%}
    {%- set stale = stale_test_parents() -%}
    {%- if stale -%}
        {{ log("skipping " ~ model.name ~ ": " ~ stale | join(', ') ~ " is rebuilt by a later invocation", info=true) }}
        {{ return("select null as skipped_because_a_parent_is_not_rebuilt_yet where false") }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
