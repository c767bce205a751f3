-- Every synthetic message with what the generator knows about it: the log columns plus the
-- episode it belongs to, whether it was sent inside a window, and its true template category.
-- messages.sql writes the log from it, status_webhooks.sql Meta's verdict for a sample.
-- Parameters come from variables, not a joined table: with no join anywhere, every step keeps
-- the rows in order, and the order is the files' order.
with positions as (
    select
        episodes.*,
        unnest(range(episodes.size)) as position
    from episodes
    where episodes.row_offset < getvariable('generator_messages')
),

drawn as (
    select
        positions.*,
        positions.row_offset + positions.position as row_index,
        getvariable('generator_seed') as seed,
        getvariable('generator_period_start') as period_start,
        getvariable('generator_period_seconds') as period_seconds,
        getvariable('generator_webhook_share') as webhook_share,
        unit_hash(seed, row_index, 'direction') as u_direction,
        unit_hash(seed, row_index, 'time') as u_time,
        unit_hash(seed, row_index, 'late_delay') as u_late_delay,
        unit_hash(seed, row_index, 'type') as u_type,
        unit_hash(seed, row_index, 'category') as u_category,
        unit_hash(seed, row_index, 'template_name') as u_template_name,
        unit_hash(seed, row_index, 'missing_category') as u_missing_category,
        unit_hash(seed, row_index, 'status') as u_status,
        unit_hash(seed, row_index, 'webhook') as u_webhook
    from positions
    where row_index < getvariable('generator_messages')
),

directed as (
    select
        *,
        kind = 'customer' and late_reply and position = size - 1 as is_late_reply,
        case
            when kind = 'customer' and position = 0 then 'inbound'
            when kind = 'customer' and position = 1 then 'outbound'
            when kind = 'customer' and late_reply and position = size - 1 then 'outbound'
            when kind = 'customer' then if(u_direction < 0.5, 'outbound', 'inbound')
            -- business-initiated: the template, the customer's answer, the business's reply
            when position = 0 then 'outbound'
            when position = 1 then 'inbound'
            when position = 2 then 'outbound'
            else if(u_direction < 0.5, 'outbound', 'inbound')
        end as direction
    from drawn
),

typed as (
    select
        *,
        -- Every episode opens with an inbound unless it starts with the business's template,
        -- and the late reply is the only outbound after the window closed.
        direction = 'outbound'
            and not is_late_reply
            and not (kind = 'business' and position = 0) as in_window,
        case
            when direction = 'inbound' and kind = 'business' and position = 1
                then if(u_type < 0.55, 'button', 'text')
            when direction = 'inbound' and position = 0 and referral_source is not null
                then 'text'
            when direction = 'inbound' then
                case
                    when u_type < 0.58 then 'text'
                    when u_type < 0.70 then 'image'
                    when u_type < 0.78 then 'interactive'
                    when u_type < 0.82 then 'button'
                    when u_type < 0.86 then 'reaction'
                    when u_type < 0.91 then 'call'
                    when u_type < 0.95 then 'audio'
                    when u_type < 0.97 then 'location'
                    when u_type < 0.99 then 'document'
                    else 'sticker'
                end
            when kind = 'business' and position = 0 then 'template'
            when is_late_reply then 'text'
            when kind = 'customer' and position = 1 then
                case
                    when u_type < 0.80 then 'text'
                    when u_type < 0.90 then 'interactive'
                    else 'image'
                end
            else
                case
                    when u_type < 0.62 then 'text'
                    when u_type < 0.70 then 'image'
                    when u_type < 0.80 then 'interactive'
                    when u_type < 0.86 then 'document'
                    else 'template'
                end
        end as message_type,
        -- Consecutive messages are at least a tenth of a gap (2 seconds) apart, so an
        -- episode's messages never share a second.
        floor(least(
            start_seconds + position * gap_seconds + u_time * 0.9 * gap_seconds
            -- 24 to 72 hours after the customer's last message
            + if(is_late_reply, 86400 + 60 + u_late_delay * 172800, 0),
            period_seconds - 1
        ))::bigint as offset_seconds
    from directed
),

templated as (
    select
        *,
        case
            when message_type <> 'template' then null
            when kind = 'business' and position = 0 then template_category
            -- templates inside a window: order updates, offers, now and then a login code
            when u_category < 0.60 then 'utility'
            when u_category < 0.95 then 'marketing'
            else 'authentication'
        end as true_category
    from typed
),

final as (
    select
        seed,
        row_index,
        episode_key,
        kind,
        position,
        -- The customer's part of a real-looking wamid, then 16 hex digits that vary with the
        -- seed and 11 that are a bijection of the row index (an odd multiple modulo 2^40, up
        -- to 3 billion rows): ids are unique and cheap to make.
        -- (concat() builds the string in one go; chained || costs twice as much here)
        concat(
            'wamid.',
            wamid_prefix,
            hex(random_bits(seed, row_index, 'message_id') | 9223372036854775808::ubigint),
            hex(row_index * 2654435761 % 1099511627776 + 8796093022208)
        ) as message_id,
        period_start + to_seconds(offset_seconds) as sent_at,
        direction,
        business_number,
        phone_number_id,
        contact,
        message_type as type,
        case
            when true_category is null then null
            when kind = 'business' and position = 0 then template_name
            else template_name_for(true_category, u_template_name)
        end as template_name,
        -- A few exports lose the category: the pipeline must price those as marketing.
        if(u_missing_category < 0.005, null, true_category) as template_category,
        true_category,
        template_category as episode_category,
        case
            when direction = 'inbound' then null
            -- Meta refuses a free-form message outside the window (error 131047).
            when is_late_reply then 'failed'
            when u_status < 0.58 then 'read'
            when u_status < 0.86 then 'delivered'
            -- no status at all: the log means delivered (status_webhooks.sql relies on
            -- u_status < 0.93 meaning delivered)
            when u_status < 0.93 then null
            when u_status < 0.97 then 'sent'
            else 'failed'
        end as status,
        -- only the customer's first message of an episode came from the ad or page button
        if(direction = 'inbound' and position = 0, referral_source, null) as referral_source,
        referral_source as episode_referral_source,
        waba_id,
        in_window,
        is_late_reply,
        direction = 'outbound' and u_webhook < webhook_share as has_webhook
    from templated
)

select * from final
