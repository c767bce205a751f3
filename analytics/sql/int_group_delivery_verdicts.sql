-- Groups: the pricing unit of a group message is a delivery. Meta: "Groups API uses Cloud
-- API's per-message pricing model to determine if a given message is billable. However, you
-- are charged each time a billable message is delivered to someone in the group" ("Groups API
-- Pricing"). So every regime's rule (sql/regimes/) judges the group message on its thread
-- (business number, group), as it judges any message, and each delivery takes that verdict:
-- chargeable where the message is and this participant received it, `not_delivered` where the
-- participant did not; a monthly free tier counts each delivery (per_message_2026_10: "1:1 and
-- group service messages delivered after the business phone number's free tier has been
-- used" are regular). Regimes older than the Groups API (conversation and session pricing)
-- price a group message the same way, per delivery: a what-if, since Meta never charged a
-- group under them (docs/rules.md).
-- One row per delivery, with int_regime_verdicts' columns (market and delivered the
-- participant's) and the participant, which orders deliveries of one message in free and
-- volume tiers after (sent_at, message_id). A jinja2 template over the registry.
select
    verdicts.message_key,
    verdicts.message_id,
    deliveries.group_id,
    deliveries.participant,
    verdicts.business_number,
    verdicts.sent_at,
    verdicts.send_date,
    verdicts.send_month,
    verdicts.regime_in_force,
    verdicts.kind,
    verdicts.category_missing,
    verdicts.in_free_entry_point,
    deliveries.market,
    verdicts.delivered and deliveries.delivered as delivered,
{%- for regime in regimes %}
    verdicts.{{ regime.name }}_conversation_id,
    verdicts.{{ regime.name }}_priced_category,
    verdicts.{{ regime.name }}_rate_category,
    verdicts.{{ regime.name }}_charge_candidate and deliveries.delivered
        as {{ regime.name }}_charge_candidate,
    case when deliveries.delivered then verdicts.{{ regime.name }}_free_tier_owner end
        as {{ regime.name }}_free_tier_owner,
    verdicts.{{ regime.name }}_free_tier_size,
    case when not deliveries.delivered then 'not_delivered'
        else verdicts.{{ regime.name }}_billing_reason end as {{ regime.name }}_billing_reason,
    case when deliveries.delivered then verdicts.{{ regime.name }}_expected_meta_billable end
        as {{ regime.name }}_expected_meta_billable
    {{- "," if not loop.last }}
{%- endfor %}
from int_regime_verdicts as verdicts
join int_group_deliveries as deliveries using (message_key)
where verdicts.priced_per_delivery
