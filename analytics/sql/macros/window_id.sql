{#- A care window's id, text built from its thread and the instant it opened: derived from
    these alone, so a late message elsewhere in the history leaves it unchanged. Written once
    for care_windows.window_id and message_facts.window_id, which must agree. -#}
{% macro window_id(business_number, contact, opened_at) -%}
{{ business_number }} || ':' || {{ contact }} || ':' || floor(epoch({{ opened_at }}))::bigint
{%- endmacro %}
