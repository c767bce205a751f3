-- Every regime's rule (analytics/sql/regimes/<name>.sql, one file per regime of the registry)
-- side by side: one row per outbound message, int_pricing_messages' columns followed by each
-- rule's verdict in columns <regime>_<field>. A jinja2 template over the registry
-- (analytics/regimes.py render_sql): the loop below writes one block per regime.
-- One row per message rather than one per message and regime: every later step then reads,
-- joins and writes each message once (at 100 million messages, five copies of every row were
-- most of the rebuild). A left join, so a rule that loses a message leaves its verdict null,
-- which the data check pricing_every_regime_prices_every_message reports.
select
    messages.*,
{%- for regime in regimes %}
    rule_{{ regime.name }}.conversation_key as {{ regime.name }}_conversation_key,
    rule_{{ regime.name }}.priced_category as {{ regime.name }}_priced_category,
    rule_{{ regime.name }}.rate_category as {{ regime.name }}_rate_category,
    rule_{{ regime.name }}.charge_candidate as {{ regime.name }}_charge_candidate,
    rule_{{ regime.name }}.free_tier_owner as {{ regime.name }}_free_tier_owner,
    rule_{{ regime.name }}.free_tier_size as {{ regime.name }}_free_tier_size,
    rule_{{ regime.name }}.billing_reason as {{ regime.name }}_billing_reason,
    rule_{{ regime.name }}.expected_meta_billable as {{ regime.name }}_expected_meta_billable
    {{- "," if not loop.last }}
{%- endfor %}
from int_pricing_messages as messages
{%- for regime in regimes %}
left join (
    -- only the verdict leaves the rule: DuckDB reads no other column of it
    select
        message_key, conversation_key, priced_category, rate_category, charge_candidate,
        free_tier_owner, free_tier_size, billing_reason, expected_meta_billable
    from (
{{ regime.rule_sql }}
    )
) as rule_{{ regime.name }} using (message_key)
{%- endfor %}
