{#-
    latest_snapshot(relation, keys, scope): the latest snapshot row of every entity (`keys`), so an
    entity that disappeared from later snapshots keeps its last known attributes.
    `is_in_latest_snapshot` tells whether the entity is still listed in the latest snapshot of its
    scope (its advertiser, or the whole lake for advertisers).
-#}
{% macro latest_snapshot(relation, keys, scope=['advertiser_id']) -%}
    select
        *,
        snapshot_date = max(snapshot_date) over (
            {%- if scope %} partition by {{ scope | join(', ') }}{% endif -%}
        ) as is_in_latest_snapshot
    from {{ relation }}
    qualify row_number() over (
        partition by {{ keys | join(', ') }}
        order by snapshot_date desc, extracted_at desc
    ) = 1
{%- endmacro %}
