-- Monthly free tiers ("the first 1,000 a month are free"), for every regime that has one: per
-- regime, owner (business account or number, as the rule says) and month, the last member the
-- tier covers, in (sent_at, message_id, participant) order. A member is a message priced one
-- by one, or one delivery of a group message (int_group_delivery_verdicts): from 2026-10-01
-- "1:1 and group service deliveries share the number's 1,000 free a month" (Meta, status
-- webhook reference). Found by a top-N aggregate (a small heap per month) rather than a window
-- numbering every member, which would sort them all; what comes after it is charged
-- (message_billing_by_regime, int_group_delivery_billing). Null when the tier is 0.
with members as not materialized (
    select
        sent_at,
        message_id,
        '' as participant,
        send_month,
{%- for regime in regimes %}
        {{ regime.name }}_free_tier_owner,
        {{ regime.name }}_free_tier_size{{ "," if not loop.last }}
{%- endfor %}
    from int_regime_verdicts
    where not priced_per_delivery
    union all
    select
        sent_at,
        message_id,
        participant,
        send_month,
{%- for regime in regimes %}
        {{ regime.name }}_free_tier_owner,
        {{ regime.name }}_free_tier_size{{ "," if not loop.last }}
{%- endfor %}
    from int_group_delivery_verdicts
)
{%- for regime in regimes %}

select
    '{{ regime.name }}' as regime,
    {{ regime.name }}_free_tier_owner as free_tier_owner,
    send_month,
    case when any_value({{ regime.name }}_free_tier_size) > 0 then
        list_max(min(
            {'sent_at': sent_at, 'id': message_id, 'participant': participant},
            greatest({{ regime.name }}_free_tier_size, 1)
        ))
    end as last_free
from members
where {{ regime.name }}_free_tier_owner is not null
group by {{ regime.name }}_free_tier_owner, send_month
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
