-- Every regime's rule (analytics/sql/regimes/<name>.sql, one file per regime of the registry)
-- side by side: one row per outbound message, int_pricing_messages' columns followed by each
-- rule's verdict in columns <regime>_<field>. A jinja2 template over the registry
-- (analytics/regimes.py render_sql): the loops below write one block per regime.
-- One row per message rather than one per message and regime: every later step then reads,
-- joins and writes each message once (five copies of every row were most of the rebuild).
-- Per-message rules are chained: each reads the one before it where it would read
-- int_pricing_messages, passes every column on (the contract: messages.* first) and adds its
-- verdict, so a rule that only computes columns costs a projection, not a join by message key.
-- Conversation rules read int_pricing_messages twice (the message, and the one that opened
-- its conversation): chained, each would recompute the chain before it, so they read
-- int_pricing_messages itself and their verdict is joined by message key. Either way the
-- verdicts are the same; the order only decides the cost.
{%- set verdict = ["regime", "conversation_key", "priced_category", "rate_category",
    "charge_candidate", "free_tier_owner", "free_tier_size", "billing_reason",
    "expected_meta_billable"] %}
{%- macro verdict_columns() -%}
{%- for regime in regimes %}{% for field in verdict[1:] -%}
{{ regime.name }}_{{ field }}{{ ", " if not loop.last }}
{%- endfor %}{{ ", " if not loop.last }}{% endfor %}
{%- endmacro %}
{%- set chained = regimes | selectattr("charge_unit", "equalto", "message") | list %}
{%- set joined = regimes | rejectattr("charge_unit", "equalto", "message") | list %}
with
{%- for regime in chained %}
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
{%- for regime in joined %}
verdicts_{{ regime.name }} as (
    -- only the verdict leaves the rule: DuckDB reads no other column of it
    select
        message_key,
{%- for field in verdict[1:] %}
        {{ field }} as {{ regime.name }}_{{ field }}{{ "," if not loop.last }}
{%- endfor %}
    from (
{{ regime.rule_sql }}
    )
),
{%- endfor %}

final as (
    -- a left join, so a rule that loses a message leaves its verdict null, which the data
    -- check pricing_every_regime_prices_every_message reports
    select *
    from {{ "verdicts_" ~ chained[-1].name if chained else "int_pricing_messages" }}
{%- for regime in joined %}
    left join verdicts_{{ regime.name }} using (message_key)
{%- endfor %}
)

select
    -- the columns in registry order, whatever the order of evaluation, and none that
    -- message_billing_by_regime does not read (every column here is written once per message)
    * exclude (
        contact, thread_key, account_id, in_window, free_entry_point_key,
        is_free_entry_point_reply, priced_template_category,
        {{ verdict_columns() }}
    ),
    {{ verdict_columns() }}
from final
