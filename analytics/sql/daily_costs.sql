-- Per day (in the business time zone), business number, market, priced category, regime,
-- currency and rate card: outbound messages, chargeable messages and estimated cost. One set
-- of rows per regime of the registry; in_force marks the regime in force on that day, so the
-- estimate is `where in_force` and the what-if comparison is `group by regime`. Reports read
-- these few rows instead of every message, so rendering time does not grow with the messages.
-- `currency` and `rate_card` are null for free messages. A jinja2 template over the registry:
-- one aggregate of message_billing_by_regime's columns per regime.
{%- for regime in regimes %}
select
    send_date as day,
    business_number,
    market,
    {{ regime.name }}_priced_category as priced_category,
    '{{ regime.name }}' as regime,
    regime_in_force = '{{ regime.name }}' as in_force,
    case when {{ regime.name }}_billable and {{ regime.name }}_estimated_cost is not null
        then currency end as currency,
    {{ regime.name }}_rate_card as rate_card,
    count(*) as outbound_messages,
    count_if({{ regime.name }}_billable) as chargeable_messages,
    -- what Meta counts: a group message once per participant it was charged for
    sum(coalesce({{ regime.name }}_chargeable_deliveries, {{ regime.name }}_billable::bigint))
        as chargeable_deliveries,
    -- unknown is null: a cell holding chargeable messages without a rate (currency and rate
    -- card null, like the free messages beside them) costs null, not the 0 of its free ones
    case when count_if(not {{ regime.name }}_cost_known) > 0 then null
        else sum({{ regime.name }}_estimated_cost) end as estimated_cost,
    count_if(not {{ regime.name }}_cost_known) as cost_unknown_messages
from message_billing_by_regime
group by all
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
