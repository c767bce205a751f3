-- Events taken out of Cloud API webhook bodies (temp table `incoming_bodies`: line, label,
-- body_text), one row per message, status, call or user preference, in the text shape of a
-- message log. Containers that hold no event are kept too, so that nothing disappears:
-- unreadable bodies get a quarantine reason, out-of-scope changes a skip reason.
-- `position` (entry, change, kind, event) orders the events of one body as they are written,
-- so that "the first row of a message" means the same on every run.
with bodies as (
    select line, label, body_text, try(body_text::json) as body
    from incoming_bodies
),

entries as (
    select b.line, b.label, e.entry, e.entry_number
    from bodies as b, unnest(b.body -> '$.entry[*]') with ordinality as e(entry, entry_number)
    where json_type(body) = 'OBJECT' and json_array_length(body -> '$.entry') > 0
),

changes as (
    select
        e.line, e.label, e.entry ->> 'id' as waba_id, c.change, e.entry_number, c.change_number
    from entries as e, unnest(e.entry -> '$.changes[*]') with ordinality as c(change, change_number)
),

change_values as (
    select
        line,
        label,
        [entry_number, change_number] as change_position,
        waba_id,
        change ->> 'field' as field,
        change -> 'value' as value,
        change -> '$.value.metadata' ->> 'display_phone_number' as business_number,
        change -> '$.value.metadata' ->> 'phone_number_id' as phone_number_id,
        -- the one customer a change's contacts[] names (BSUID, parent, username);
        -- phone fields (`from`, `wa_id`, `recipient_id`) may be absent when Meta names the
        -- customer by BSUID alone
        case when json_array_length(change -> '$.value.contacts') = 1
            then change -> '$.value.contacts[0]' end as single_contact,
        coalesce(json_array_length(change -> '$.value.messages'), 0)
        + coalesce(json_array_length(change -> '$.value.statuses'), 0)
        + coalesce(json_array_length(change -> '$.value.calls'), 0)
        + coalesce(json_array_length(change -> '$.value.user_preferences'), 0) as event_count
    from changes
),

message_events as (
    select
        v.line, v.label, 'message' as event_kind,
        v.change_position || [1, event_number] as position, m::varchar as raw,
        m ->> 'id' as message_id,
        m ->> 'timestamp' as "timestamp",
        'inbound' as direction,
        v.business_number,
        coalesce(m ->> 'from', v.single_contact ->> 'wa_id') as contact,
        coalesce(m ->> 'from_user_id', own.contact ->> 'user_id') as contact_user_id,
        coalesce(m ->> 'from_parent_user_id', own.contact ->> 'parent_user_id')
            as contact_parent_user_id,
        own.contact -> '$.profile' ->> 'username' as contact_username,
        -- a message in a group names the group; `from` is the participant who wrote
        m ->> 'group_id' as group_id,
        m ->> 'type' as "type",
        null as template_name,
        null as template_category,
        null as status,
        case
            when (m -> 'referral') is null then null
            when m -> '$.referral' ->> 'source_type' = 'post' then 'page'
            else 'ad'
        end as referral_source,
        v.waba_id, v.phone_number_id,
        null as status_timestamp,
        null as meta_billable, null as meta_pricing_type, null as meta_category,
        null as meta_pricing_model, null as meta_conversation_id, null as meta_conversation_origin,
        'webhook_message' as origin,
        null as skip_reason
    from change_values as v,
        unnest(v.value -> '$.messages[*]') with ordinality as messages(m, event_number),
        -- the change's one contact is this message's sender unless its wa_id says otherwise
        lateral (
            select case
                when (m ->> 'from') is null or (m ->> 'from') = (v.single_contact ->> 'wa_id')
                    then v.single_contact
            end as contact
        ) as own
    -- a system message is Meta's, not the customer's (identity_events)
    where (m ->> 'type') is distinct from 'system'
),

-- System messages that change who the customer is, for `identity_changes`. A phone
-- number change (`user_changed_number`, the new number in system.wa_id) regenerates the BSUID;
-- `user_changed_user_id` carries BSUIDs alone. Other system messages are skipped with a count.
identity_events as (
    select
        v.line, v.label, 'identity' as event_kind,
        v.change_position || [1, event_number] as position, m::varchar as raw,
        m ->> 'id' as message_id,
        m ->> 'timestamp' as "timestamp",
        null as direction,
        v.business_number,
        m ->> 'from' as previous_contact,
        m -> '$.system' ->> 'wa_id' as contact,
        coalesce(m -> '$.system' ->> 'previous_user_id', m ->> 'from_user_id')
            as previous_user_id,
        m -> '$.system' ->> 'user_id' as contact_user_id,
        m -> '$.system' ->> 'type' as "type",
        v.waba_id, v.phone_number_id,
        'webhook_system' as origin,
        case
            when (m -> '$.system' ->> 'type') not in ('user_changed_number', 'user_changed_user_id')
                or (m -> '$.system' ->> 'type') is null
                then 'system message of type ' || coalesce(m -> '$.system' ->> 'type', '(none)')
                || ' (not from the customer; names no new identity)'
        end as skip_reason
    from change_values as v,
        unnest(v.value -> '$.messages[*]') with ordinality as messages(m, event_number)
    where (m ->> 'type') = 'system'
),

status_events as (
    select
        v.line, v.label, 'status' as event_kind,
        v.change_position || [2, event_number] as position, s::varchar as raw,
        s ->> 'id' as message_id,
        s ->> 'timestamp' as "timestamp",
        'outbound' as direction,
        v.business_number,
        -- a group delivery's status (Meta, status webhook reference, 2026-09-14):
        -- recipient_type "group", recipient_id the group, recipient_participant_id (and
        -- _user_id, _parent_user_id) the participant; contacts[] names the participant. The
        -- message's party is the group; the participant's identity goes with the delivery.
        case when group_status.is_group then s ->> 'recipient_id'
            else coalesce(s ->> 'recipient_id', v.single_contact ->> 'wa_id') end as contact,
        -- a failed status of a message sent to a phone number carries no BSUID: it finds its
        -- message by id, as before BSUIDs
        case when not group_status.is_group
            then coalesce(s ->> 'recipient_user_id', own.contact ->> 'user_id')
        end as contact_user_id,
        case when not group_status.is_group
            then coalesce(s ->> 'recipient_parent_user_id', own.contact ->> 'parent_user_id')
        end as contact_parent_user_id,
        case when not group_status.is_group
            then own.contact -> '$.profile' ->> 'username' end as contact_username,
        case when group_status.is_group then s ->> 'recipient_id' end as group_id,
        coalesce(s ->> 'recipient_participant_id', s ->> 'recipient_participant_user_id')
            as participant,
        s ->> 'recipient_participant_user_id' as participant_user_id,
        s ->> 'recipient_participant_parent_user_id' as participant_parent_user_id,
        -- In the per-message era Meta names a template's category; 'service' is a non-template.
        -- A group delivery's category is the same with `group_` in front (group_marketing, ...).
        case
            when s -> '$.pricing' ->> 'pricing_model' = 'PMP'
                and group_status.category in (
                    'marketing', 'utility', 'authentication', 'authentication_international',
                    'marketing_lite'
                )
                then 'template'
            else 'unknown'
        end as "type",
        null as template_name,
        case
            when s -> '$.pricing' ->> 'pricing_model' = 'PMP'
                then case group_status.category
                    when 'authentication_international' then 'authentication'
                    when 'marketing_lite' then 'marketing'
                    when 'service' then null
                    else group_status.category
                end
        end as template_category,
        s ->> 'status' as status,
        null as referral_source,
        v.waba_id, v.phone_number_id,
        s ->> 'timestamp' as status_timestamp,
        s -> '$.pricing' ->> 'billable' as meta_billable,
        s -> '$.pricing' ->> 'type' as meta_pricing_type,
        s -> '$.pricing' ->> 'category' as meta_category,
        s -> '$.pricing' ->> 'pricing_model' as meta_pricing_model,
        -- since October 2026 (e.g. paid_exempt); kept as Meta writes it, whatever the value
        s -> '$.pricing' ->> 'subtype' as meta_pricing_subtype,
        s -> '$.conversation' ->> 'id' as meta_conversation_id,
        s -> '$.conversation.origin' ->> 'type' as meta_conversation_origin,
        'webhook_status' as origin,
        null as skip_reason
    from change_values as v,
        unnest(v.value -> '$.statuses[*]') with ordinality as statuses(s, event_number),
        -- the change's one contact is this status's recipient unless its wa_id says otherwise
        lateral (
            select case
                when (s ->> 'recipient_id') is null
                    or (s ->> 'recipient_id') = (v.single_contact ->> 'wa_id')
                    then v.single_contact
            end as contact
        ) as own,
        lateral (
            select
                coalesce(
                    lower(s ->> 'recipient_type') = 'group'
                    or (s ->> 'recipient_participant_id') is not null
                    or (s ->> 'recipient_participant_user_id') is not null,
                    false
                ) as is_group,
                regexp_replace(s -> '$.pricing' ->> 'category', '^group_', '') as category
        ) as group_status
),

call_events as (
    select
        v.line, v.label, 'call' as event_kind,
        v.change_position || [3, event_number] as position, c::varchar as raw,
        c ->> 'id' as message_id,
        c ->> 'timestamp' as "timestamp",
        'inbound' as direction,
        v.business_number,
        c ->> 'from' as contact,
        c ->> 'from_user_id' as contact_user_id,
        c ->> 'from_parent_user_id' as contact_parent_user_id,
        'call' as "type",
        null as template_name, null as template_category, null as status,
        null as referral_source,
        v.waba_id, v.phone_number_id,
        null as status_timestamp,
        null as meta_billable, null as meta_pricing_type, null as meta_category,
        null as meta_pricing_model, null as meta_conversation_id, null as meta_conversation_origin,
        'webhook_call' as origin,
        -- Only a call from the customer opens a window; the business's own calls do not.
        case
            when upper(c ->> 'direction') = 'BUSINESS_INITIATED'
                then 'business-initiated call (opens no window)'
        end as skip_reason
    from change_values as v,
        unnest(v.value -> '$.calls[*]') with ordinality as calls(c, event_number)
),

preference_events as (
    select
        v.line, v.label, 'preference' as event_kind,
        v.change_position || [4, event_number] as position, p::varchar as raw,
        null as message_id,
        p ->> 'timestamp' as "timestamp",
        null as direction,
        v.business_number,
        -- a username user's preference may name its BSUID alone
        coalesce(p ->> 'wa_id', p ->> 'user_id') as contact,
        p ->> 'value' as "type",
        null as template_name, p ->> 'category' as template_category, null as status,
        null as referral_source,
        v.waba_id, v.phone_number_id,
        null as status_timestamp,
        null as meta_billable, null as meta_pricing_type, null as meta_category,
        null as meta_pricing_model, null as meta_conversation_id, null as meta_conversation_origin,
        'webhook_preference' as origin,
        null as skip_reason
    from change_values as v,
        unnest(v.value -> '$.user_preferences[*]') with ordinality as preferences(p, event_number)
),

empty_changes as (
    select
        line, label, 'change' as event_kind, change_position as position, value::varchar as raw,
        null as message_id, null as "timestamp", null as direction, business_number,
        null as contact, null as "type", null as template_name, null as template_category,
        null as status, null as referral_source, waba_id, phone_number_id,
        null as status_timestamp, null as meta_billable, null as meta_pricing_type,
        null as meta_category, null as meta_pricing_model, null as meta_conversation_id,
        null as meta_conversation_origin, 'webhook' as origin,
        'webhook field ' || coalesce(field, '(none)') || ' carries no message, status, call '
        || 'or user preference' as skip_reason
    from change_values
    -- template category changes are loaded apart (analytics/ingest/templates.py)
    where event_count = 0 and field is distinct from 'template_category_update'
),

unreadable_bodies as (
    select
        line, label, 'body' as event_kind, []::bigint[] as position, left(body_text, 10000) as raw,
        null as message_id, null as "timestamp", null as direction, null as business_number,
        null as contact, null as "type", null as template_name, null as template_category,
        null as status, null as referral_source, null as waba_id, null as phone_number_id,
        null as status_timestamp, null as meta_billable, null as meta_pricing_type,
        null as meta_category, null as meta_pricing_model, null as meta_conversation_id,
        null as meta_conversation_origin, 'webhook' as origin,
        null as skip_reason,
        case
            when body is null then 'not valid JSON'
            else 'not a webhook body: no entry[]'
        end as reason
    from bodies
    where body is null or json_type(body) <> 'OBJECT'
        or coalesce(json_array_length(body -> '$.entry'), 0) = 0
),

entries_without_changes as (
    select
        line, label, 'entry' as event_kind, [entry_number] as position, entry::varchar as raw,
        null as message_id, null as "timestamp", null as direction, null as business_number,
        null as contact, null as "type", null as template_name, null as template_category,
        null as status, null as referral_source, entry ->> 'id' as waba_id,
        null as phone_number_id, null as status_timestamp, null as meta_billable,
        null as meta_pricing_type, null as meta_category, null as meta_pricing_model,
        null as meta_conversation_id, null as meta_conversation_origin, 'webhook' as origin,
        null as skip_reason,
        'webhook entry has no changes[]' as reason
    from entries
    where coalesce(json_array_length(entry -> '$.changes'), 0) = 0
)

select *, null as reason from message_events
union all by name
select *, null as reason from status_events
union all by name
select *, null as reason from call_events
union all by name
select *, null as reason from preference_events
union all by name
select *, null as reason from identity_events
union all by name
select *, null as reason from empty_changes
union all by name
select * from unreadable_bodies
union all by name
select * from entries_without_changes
