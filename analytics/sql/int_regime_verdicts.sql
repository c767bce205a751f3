-- Every regime's rule (analytics/sql/regimes/<name>.sql, one file per regime of the registry)
-- side by side: one row per outbound message, int_pricing_messages' columns followed by each
-- rule's verdict in columns <regime>_<field>. A jinja2 template over the registry
-- (analytics/regimes.py render_sql): the loop below writes one block per regime.
-- One row per message rather than one per message and regime: every later step then reads,
-- joins and writes each message once (five copies of every row were most of the rebuild).
-- The rules are chained: each reads the one before it where it would read
-- int_pricing_messages, passes every column on (the contract: messages.* first) and adds its
-- verdict, so a rule that only computes columns costs a projection, and a conversation rule
-- one join of its conversations by message key, never a join of verdicts by message key.
-- That is why a rule reads int_pricing_messages once (sql/regimes/README.md): a second read
-- would compute every rule before it again.
{%- set verdict = ["regime", "conversation_key", "conversation_id", "priced_category",
    "rate_category", "charge_candidate", "free_tier_owner", "free_tier_size", "billing_reason",
    "expected_meta_billable"] %}
{#- written: conversation_key only serves the rules' own joins #}
{%- set written = verdict[2:] %}
{%- macro verdict_columns() -%}
{%- for regime in regimes %}{% for field in written -%}
{{ regime.name }}_{{ field }}{{ ", " if not loop.last }}
{%- endfor %}{{ ", " if not loop.last }}{% endfor %}
{%- endmacro %}
with
{%- for regime in regimes %}
{%- set previous = "int_pricing_messages" if loop.first else "verdicts_" ~ loop.previtem.name %}
verdicts_{{ regime.name }} as not materialized (
    select
        * exclude ({{ verdict | join(", ") }}),
{%- for field in verdict[1:] %}
        {{ field }} as {{ regime.name }}_{{ field }}{{ "," if not loop.last }}
{%- endfor %}
    from (
{{ regime.rule_sql | reading(previous) }}
    )
),
{%- endfor %}

final as (
    -- a rule that loses or repeats a message changes the row count, which the data check
    -- message_facts_one_row_per_outbound_message reports
    select *
    from {{ "verdicts_" ~ regimes[-1].name if regimes else "int_pricing_messages" }}
)

select
    -- the columns in registry order, whatever the order of evaluation, and none that
    -- message_billing_by_regime does not read (every column here is written once per message)
    * exclude (
        contact, thread_key, account_id, in_window, free_entry_point_key,
        is_free_entry_point_reply, priced_template_category, free_entry_point_id, to_group,
{%- for regime in regimes %}
        {{ regime.name }}_conversation_key,
{%- endfor %}
        {{ verdict_columns() }}
    ),
    {{ verdict_columns() }}
from final
