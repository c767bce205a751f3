-- One row per outbound message with its care window, opt-in state and compliance verdict.
-- This is the contract the pricing steps build on: keep these columns and their meaning.
with outbound as (
    select
        message_id,
        business_number,
        contact,
        waba_id,
        sent_at,
        case when type = 'template' then 'template' else 'session' end as kind,
        type,
        template_name,
        template_category,
        coalesce(status, 'delivered') as status
    from messages
    where direction = 'outbound'
),

ledger as (
    select contact, event_at, event, scope, nullif(business_number, '') as business_number
    from opt_in_events
),

-- Blank-number ledger events cover every number of the business: copy them onto each thread
-- the customer has with us, so the lookup below is one join on (customer, number).
ledger_threads as (
    select distinct business_number, contact
    from outbound
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
-- alone (the warning). Events of one reading at the same instant: opt_out wins.
ledger_instants as (
    select
        contact,
        business_number,
        event_at,
        case
            when count_if(scope = 'all') = 0 then null
            when count_if(scope = 'all' and event = 'opt_out') > 0 then 'opt_out'
            else 'opt_in'
        end as all_scope_event,
        case
            when count_if(event = 'opt_out') > 0 then 'opt_out'
            else 'opt_in'
        end as any_scope_event,
        case
            when count_if(scope = 'marketing') = 0 then null
            when count_if(scope = 'marketing' and event = 'opt_out') > 0 then 'opt_out'
            else 'opt_in'
        end as marketing_scope_event
    from ledger_by_thread
    group by contact, business_number, event_at
),

-- The state of each reading as of each instant: its latest event so far.
ledger_states as (
    select
        contact,
        business_number,
        event_at,
        last_value(all_scope_event ignore nulls) over thread_so_far as all_scope_state,
        any_scope_event as any_scope_state,
        last_value(marketing_scope_event ignore nulls) over thread_so_far
            as marketing_scope_state
    from ledger_instants
    window thread_so_far as (
        partition by contact, business_number
        order by event_at
        rows between unbounded preceding and current row
    )
),

-- Only templates need the ledger: session messages skip the lookup (a sort of every
-- outbound message saved).
with_ledger_state as (
    select
        templates.*,
        ledger_states.all_scope_state,
        ledger_states.any_scope_state,
        ledger_states.marketing_scope_state
    from outbound as templates
    asof left join ledger_states
        on templates.contact = ledger_states.contact
        and templates.business_number = ledger_states.business_number
        and templates.sent_at >= ledger_states.event_at
    where templates.kind = 'template'
    union all by name
    select
        *,
        null::varchar as all_scope_state,
        null::varchar as any_scope_state,
        null::varchar as marketing_scope_state
    from outbound
    where kind = 'session'
),

-- The last inbound of the thread at or before the send; an inbound in the same second counts
-- first, so the comparison is >=.
with_last_inbound as (
    select
        with_ledger_state.*,
        inbound.sent_at as last_inbound_at,
        inbound.window_id as last_inbound_window_id,
        inbound.window_opened_at as last_inbound_window_opened_at,
        inbound.window_closes_at as last_inbound_window_closes_at
    from with_ledger_state
    asof left join int_inbound_events as inbound
        on with_ledger_state.business_number = inbound.business_number
        and with_ledger_state.contact = inbound.contact
        and with_ledger_state.sent_at >= inbound.sent_at
),

windows_and_categories as (
    select
        *,
        -- the window is [t_in, t_in + 24h): a send at exactly +24h is outside
        coalesce(sent_at < last_inbound_at + interval 24 hours, false) as in_window,
        case
            when sent_at < last_inbound_at + interval 24 hours then last_inbound_window_id
        end as window_id,
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
        -- opt-in is a question about templates only; null for session messages
        case
            when is_marketing_template then coalesce(any_scope_state = 'opt_in', false)
            when kind = 'template' then coalesce(all_scope_state = 'opt_in', false)
        end as opt_in_active
    from windows_and_categories
),

final as (
    select
        opt_ins.message_id,
        opt_ins.business_number,
        opt_ins.contact,
        opt_ins.waba_id,
        opt_ins.sent_at,
        opt_ins.kind,
        opt_ins.type,
        opt_ins.template_name,
        opt_ins.template_category,
        opt_ins.status,
        opt_ins.status in ('delivered', 'read') as delivered,
        opt_ins.window_id,
        opt_ins.in_window,
        opt_ins.window_opened_at,
        opt_ins.window_closes_at,
        opt_ins.last_inbound_at,
        opt_ins.opt_in_active,
        -- one flag at most, the first that applies; inside a window nothing needs an opt-in
        case
            when opt_ins.in_window then null
            when opt_ins.kind = 'session' then 'session_outside_window'
            when not opt_ins.opt_in_active then 'template_without_opt_in'
        end as violation,
        -- Meta rejects these (error 131050) even inside a window
        opt_ins.is_marketing_template
            and coalesce(opt_ins.marketing_scope_state = 'opt_out', false)
            as marketing_opt_out_warning
    from opt_ins
)

select * from final
