-- One row per outbound message with its care window, opt-in state and compliance verdict.
-- This is the contract the pricing steps build on: keep these columns and their meaning.
with parameters as (
    select key_offset from rebuild_parameters
),

-- The row id of the loaded message, offset per partition, names the message in this step and
-- the ones after it: stable across the two scans of messages below, unlike a row number.
-- The customer is resolved (int_customer_contacts): one time line whichever identifier a message
-- names. A group message's thread is (business number, group): its window is the group's.
sends as (
    select
        messages.rowid + parameters.key_offset as message_key,
        messages.business_number,
        coalesce(messages.group_id, customers.customer, messages.contact) as contact,
        messages.sent_at
    from messages
    cross join parameters
    left join int_customer_contacts as customers on customers.contact = messages.contact
    where messages.direction = 'outbound'
),

ledger as (
    select
        coalesce(customers.customer, opt_in_events.contact) as contact,
        opt_in_events.event_at,
        opt_in_events.event,
        opt_in_events.scope,
        nullif(opt_in_events.business_number, '') as business_number
    from opt_in_events
    left join int_customer_contacts as customers on customers.contact = opt_in_events.contact
),

-- Blank-number ledger events cover every number of the business: copy them onto each thread
-- the customer has with us, so the lookup below is one join on (customer, number).
ledger_threads as (
    select distinct business_number, contact
    from sends
    where contact in (select contact from ledger where business_number is null)
),

ledger_by_thread as (
    select
        ledger.contact,
        coalesce(ledger.business_number, ledger_threads.business_number) as business_number,
        ledger.event_at,
        ledger.event,
        ledger.scope
    from ledger
    left join ledger_threads
        on ledger.business_number is null
        and ledger.contact = ledger_threads.contact
    -- a blank-number event of a customer we never wrote to covers nothing yet
    where coalesce(ledger.business_number, ledger_threads.business_number) is not null
),

-- One row per thread and instant. Three readings of the ledger: events that cover every
-- category (scope all), events that cover marketing (any scope), and marketing-scope events
-- alone (the warning). Events of one reading at the same instant: opt_out wins. Each reading
-- is a boolean, opted in (true) or out (false), null where the instant has none of its events:
-- the time line's window below carries booleans more cheaply than the words (int_outbound
-- 9.2 s to 8.4 s at 10 million messages, 2026-12-07).
ledger_instants as (
    select
        contact,
        business_number,
        event_at,
        case
            when count_if(scope = 'all') = 0 then null
            else count_if(scope = 'all' and event = 'opt_out') = 0
        end as all_scope_opted_in,
        count_if(event = 'opt_out') = 0 as any_scope_opted_in,
        case
            when count_if(scope = 'marketing') = 0 then null
            else count_if(scope = 'marketing' and event = 'opt_out') = 0
        end as marketing_scope_opted_in
    from ledger_by_thread
    group by contact, business_number, event_at
),

-- Inbound messages, ledger instants and sends of every thread in one time line. At the same
-- instant an inbound counts first (docs/rules.md, The customer care window) and a ledger event
-- applies to the send, so sends sort last. One sort of narrow rows replaces two ASOF joins that
-- sorted the sends twice.
timeline as (
    select
        business_number, contact, sent_at, 0 as event_order, null::bigint as message_key,
        sent_at as inbound_at, window_opened_at, window_closes_at,
        null::boolean as all_scope_opted_in, null::boolean as any_scope_opted_in,
        null::boolean as marketing_scope_opted_in
    from int_inbound_events
    union all
    select
        business_number, contact, event_at, 1, null,
        null, null, null,
        all_scope_opted_in, any_scope_opted_in, marketing_scope_opted_in
    from ledger_instants
    union all
    select
        business_number, contact, sent_at, 2, message_key,
        null, null, null,
        null, null, null
    from sends
),

-- Each send's last inbound (at or before it) with that inbound's window, and the state of each
-- ledger reading as of the send: its latest event so far. Inbound times and their window
-- bounds only grow along a thread, so a running max is the last one.
placed as (
    select
        message_key,
        max(inbound_at) over thread_so_far as last_inbound_at,
        max(window_opened_at) over thread_so_far as last_inbound_window_opened_at,
        max(window_closes_at) over thread_so_far as last_inbound_window_closes_at,
        last_value(all_scope_opted_in ignore nulls) over thread_so_far as opted_in_all_scope,
        last_value(any_scope_opted_in ignore nulls) over thread_so_far as opted_in_any_scope,
        last_value(marketing_scope_opted_in ignore nulls) over thread_so_far
            as opted_in_marketing_scope,
        -- an integer naming the thread for the pricing steps, which partition, sort and join
        -- by thread (far cheaper than two text columns): its smallest message key, so unique
        -- per thread and, like the keys, disjoint across partitions. Same sort as above.
        min(message_key) over whole_thread as thread_key,
        event_order
    from timeline
    window
        thread_so_far as (
            partition by business_number, contact
            order by sent_at, event_order
            rows between unbounded preceding and current row
        ),
        whole_thread as (
            partition by business_number, contact
            order by sent_at, event_order
            rows between unbounded preceding and unbounded following
        )
    qualify event_order = 2
),

outbound as (
    select
        messages.rowid + parameters.key_offset as message_key,
        messages.message_id,
        messages.business_number,
        coalesce(messages.group_id, customers.customer, messages.contact) as contact,
        messages.group_id,
        messages.waba_id,
        messages.sent_at,
        -- 'unknown': a provider's format cannot say whether it was a template
        case messages.type when 'template' then 'template' when 'unknown' then 'unknown'
            else 'session' end as kind,
        messages.type,
        messages.template_name,
        messages.template_category,
        coalesce(messages.status, 'delivered') as status,
        -- Meta's own pricing verdict, from status webhooks: carried for message_facts
        messages.meta_billable,
        messages.meta_pricing_type,
        messages.meta_category
    from messages
    cross join parameters
    left join int_customer_contacts as customers on customers.contact = messages.contact
    where messages.direction = 'outbound'
),

-- The wide columns join the narrow verdicts by key once, streaming: only the narrow side is
-- held (hashed), never sorted.
with_last_inbound as (
    select
        outbound.*,
        placed.* exclude (message_key, event_order),
        -- a template sent to a group: its participants' opt-in (int_group_opt_ins)
        group_opt_ins.opt_in_active as group_opt_in_active,
        group_opt_ins.marketing_opt_out_warning as group_marketing_opt_out_warning
    from outbound
    join placed using (message_key)
    left join int_group_opt_ins as group_opt_ins using (message_key)
),

windows_and_categories as (
    select
        *,
        -- the window is [t_in, t_in + 24h): a send at exactly +24h is outside
        coalesce(sent_at < last_inbound_at + interval 24 hours, false) as in_window,
        case
            when sent_at < last_inbound_at + interval 24 hours
                then last_inbound_window_opened_at
        end as window_opened_at,
        case
            when sent_at < last_inbound_at + interval 24 hours
                then last_inbound_window_closes_at
        end as window_closes_at,
        -- a template without a category is treated as marketing (the strictest reading)
        kind = 'template' and coalesce(template_category, 'marketing') = 'marketing'
            as is_marketing_template
    from with_last_inbound
),

opt_ins as (
    select
        *,
        -- opt-in is a question about templates only; null for session messages (the ledger
        -- states above are read for every send)
        case
            when kind = 'template' and group_id is not null
                then coalesce(group_opt_in_active, false)
            when is_marketing_template then coalesce(opted_in_any_scope, false)
            when kind = 'template' then coalesce(opted_in_all_scope, false)
        end as opt_in_active
    from windows_and_categories
),

final as (
    select
        opt_ins.message_id,
        -- an integer surrogate for message_id, so later steps join on integers; partitions
        -- built apart number from their own key_offset, so keys never repeat across them
        opt_ins.message_key,
        opt_ins.thread_key,
        opt_ins.business_number,
        opt_ins.contact,
        opt_ins.group_id,
        opt_ins.waba_id,
        opt_ins.sent_at,
        opt_ins.kind,
        opt_ins.type,
        opt_ins.template_name,
        opt_ins.template_category,
        opt_ins.status,
        opt_ins.status in ('delivered', 'read') as delivered,
        opt_ins.in_window,
        opt_ins.window_opened_at,
        opt_ins.window_closes_at,
        opt_ins.last_inbound_at,
        opt_ins.opt_in_active,
        -- one flag at most, the first that applies; inside a window nothing needs an opt-in
        -- type 'unknown': a provider's status alone cannot say whether it was a template, so
        -- it is never flagged; data quality counts it
        case
            when opt_ins.in_window then null
            when opt_ins.kind = 'unknown' then null
            when opt_ins.kind = 'session' then 'session_outside_window'
            when not opt_ins.opt_in_active then 'template_without_opt_in'
        end as violation,
        -- Meta rejects these (error 131050) even inside a window
        case
            when opt_ins.group_id is not null
                then coalesce(opt_ins.group_marketing_opt_out_warning, false)
            else opt_ins.is_marketing_template
                and coalesce(not opt_ins.opted_in_marketing_scope, false)
        end as marketing_opt_out_warning,
        opt_ins.meta_billable,
        opt_ins.meta_pricing_type,
        opt_ins.meta_category
    from opt_ins
)

select * from final
