-- Groups: the opt-in a template sent to a group needs is its participants' (docs/rules.md,
-- "Groups"). Meta's pages say a participant joins a group by its invite link and give no
-- opt-in of a group as such; carewindow asks what it asks of a one-to-one template, of every
-- participant the message went to (its deliveries, failed ones included: they were attempts):
-- a template sent outside the group's window has an active opt-in when each participant's
-- latest ledger event at or before the send that covers (participant, number, category) is an
-- opt_in. A group template whose deliveries carewindow does not know has no participant known
-- to have opted in: no opt-in. The warning of a marketing opt-out is raised when any
-- participant's latest marketing-scope event is an opt_out.
-- Few rows: group templates, one per participant; int_outbound joins them by message key.
with parameters as (
    select key_offset from rebuild_parameters
),

sends as (
    select
        messages.rowid + parameters.key_offset as message_key,
        messages.message_id,
        messages.business_number,
        messages.sent_at,
        -- a template without a category is treated as marketing (as in int_outbound)
        coalesce(messages.template_category, 'marketing') = 'marketing' as is_marketing
    from messages
    cross join parameters
    where messages.direction = 'outbound' and messages.group_id is not null
        and messages.type = 'template'
),

participants as (
    -- each participant resolved to its customer (int_customer_contacts), as the ledger's
    -- contacts are
    select distinct
        sends.message_key,
        sends.business_number,
        sends.sent_at,
        sends.is_marketing,
        coalesce(customers.customer, deliveries.participant) as customer
    from sends
    join group_deliveries as deliveries using (message_id)
    left join int_customer_contacts as customers on customers.contact = deliveries.participant
),

ledger as (
    select
        coalesce(customers.customer, opt_in_events.contact) as customer,
        nullif(opt_in_events.business_number, '') as business_number,
        opt_in_events.event_at,
        opt_in_events.event,
        opt_in_events.scope
    from opt_in_events
    left join int_customer_contacts as customers on customers.contact = opt_in_events.contact
),

-- each participant's latest event at or before the send in the three readings of the ledger
-- (int_outbound): scope all, any scope, scope marketing. At one instant an opt_out wins.
participant_states as (
    select
        participants.message_key,
        participants.customer,
        any_value(participants.is_marketing) as is_marketing,
        arg_max(ledger.event, {'at': ledger.event_at, 'opt_out': ledger.event = 'opt_out'})
            filter (where ledger.scope = 'all') as all_scope_state,
        arg_max(ledger.event, {'at': ledger.event_at, 'opt_out': ledger.event = 'opt_out'})
            as any_scope_state,
        arg_max(ledger.event, {'at': ledger.event_at, 'opt_out': ledger.event = 'opt_out'})
            filter (where ledger.scope = 'marketing') as marketing_scope_state
    from participants
    left join ledger
        on ledger.customer = participants.customer
        -- a blank-number event covers every number of the business
        and (ledger.business_number is null
            or ledger.business_number = participants.business_number)
        and ledger.event_at <= participants.sent_at
    group by participants.message_key, participants.customer
),

final as (
    select
        message_key,
        count(*) as participants,
        bool_and(
            case when is_marketing then coalesce(any_scope_state = 'opt_in', false)
                else coalesce(all_scope_state = 'opt_in', false) end
        ) as opt_in_active,
        bool_or(is_marketing and coalesce(marketing_scope_state = 'opt_out', false))
            as marketing_opt_out_warning
    from participant_states
    group by message_key
)

select * from final
