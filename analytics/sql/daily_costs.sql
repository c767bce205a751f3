-- Per day (in the business time zone), business number, market, priced category, regime,
-- currency and rate card: outbound messages, chargeable messages and estimated cost. One set
-- of rows per regime of the registry; in_force marks the regime in force on that day, so the
-- estimate is `where in_force` and the what-if comparison is `group by regime`. Reports read
-- these few rows instead of every message, so rendering time does not grow with the messages.
-- `currency` and `rate_card` are null for free messages. A jinja2 template over the registry:
-- one aggregate of message_billing_by_regime's columns per regime.
-- A group message priced per delivery is counted from its deliveries (group_delivery_billing),
-- each in its participant's market: the message once (on its first delivery, by participant),
-- as chargeable once (on its first chargeable delivery), its cost where each delivery's is;
-- so the totals are message_facts' and message_billing's, and cost by market is right.
with group_units as (
    select
        *,
        row_number() over (partition by message_id order by participant) = 1 as counts_message,
{%- for regime in regimes %}
        {{ regime.name }}_billable and row_number() over (
            partition by message_id order by not {{ regime.name }}_billable, participant
        ) = 1 as {{ regime.name }}_counts_charge,
        -- one delivery without a rate leaves the message's cost unknown (message_billing)
        bool_and({{ regime.name }}_cost_known) over (partition by message_id)
            as {{ regime.name }}_message_cost_known{{ "," if not loop.last }}
{%- endfor %}
    from group_delivery_billing
)
{%- for regime in regimes %}

select
    day,
    business_number,
    market,
    priced_category,
    '{{ regime.name }}' as regime,
    regime_in_force = '{{ regime.name }}' as in_force,
    currency,
    rate_card,
    sum(outbound)::bigint as outbound_messages,  -- a count, as before groups: bigint
    sum(chargeable) as chargeable_messages,
    -- what Meta counts: a group message once per participant it was charged for
    sum(charged_deliveries) as chargeable_deliveries,
    -- unknown is null: a cell holding chargeable messages without a rate (currency and rate
    -- card null, like the free messages beside them) costs null, not the 0 of its free ones
    case when bool_and(cost_known) then sum(estimated_cost) end as estimated_cost,
    sum(cost_unknown) as cost_unknown_messages
from (
    -- the messages priced as one, added up on their stored codes (analytics/storage.py) and
    -- read back as text only then: a few thousand cells, not every message, are decoded
    select
        day,
        business_number::varchar as business_number,
        market::varchar as market,
        priced_category::varchar as priced_category,
        regime_in_force::varchar as regime_in_force,
        currency::varchar as currency,
        rate_card::varchar as rate_card,
        outbound,
        chargeable,
        charged_deliveries,
        estimated_cost,
        cost_known,
        cost_unknown
    from (
        select
            send_date as day,
            business_number,
            market,
            {{ regime.name }}_priced_category as priced_category,
            regime_in_force,
            case when {{ regime.name }}_billable and {{ regime.name }}_estimated_cost is not null
                then currency end as currency,
            {{ regime.name }}_rate_card as rate_card,
            count(*) as outbound,
            count_if({{ regime.name }}_billable) as chargeable,
            count_if({{ regime.name }}_billable) as charged_deliveries,
            sum({{ regime.name }}_estimated_cost) as estimated_cost,
            bool_and({{ regime.name }}_cost_known) as cost_known,
            count_if(not {{ regime.name }}_cost_known) as cost_unknown
        from storage.message_billing_by_regime
        where deliveries is null
        group by all
    )
    union all
    select
        send_date,
        business_number,
        market,
        {{ regime.name }}_priced_category,
        regime_in_force,
        case when {{ regime.name }}_billable and {{ regime.name }}_message_cost_known
            then currency end,
        {{ regime.name }}_rate_card,
        counts_message::integer,
        {{ regime.name }}_counts_charge::integer,
        {{ regime.name }}_billable::integer,
        case when {{ regime.name }}_message_cost_known then {{ regime.name }}_estimated_cost
            when not {{ regime.name }}_billable then 0 end,
        not {{ regime.name }}_billable or {{ regime.name }}_message_cost_known,
        ({{ regime.name }}_counts_charge and not {{ regime.name }}_message_cost_known)::integer
    from group_units
) as units
group by all
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
