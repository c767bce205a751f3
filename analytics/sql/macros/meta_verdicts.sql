{#- Meta's verdict on a message or delivery (billable, pricing type, category, model, subtype)
    when copies of it are merged: the incoming copy's when it carries one and the stored one
    has none or was reported no later. The SET clauses of an UPDATE of `stored` from
    `incoming`, shared by merge_messages_update and merge_group_deliveries_update. -#}
{% macro newer_meta_verdict(stored, incoming) -%}
{%- for column in ("meta_billable", "meta_pricing_type", "meta_category", "meta_pricing_model",
    "meta_pricing_subtype") %}
    {{ column }} = case when {{ incoming }}.meta_billable is not null
        and ({{ stored }}.meta_billable is null or {{ incoming }}.status_at >= {{ stored }}.status_at)
        then {{ incoming }}.{{ column }} else {{ stored }}.{{ column }} end{{ "," if not loop.last }}
{%- endfor %}
{%- endmacro %}
