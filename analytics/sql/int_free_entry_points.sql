-- Free entry points: a customer writes from a click-to-WhatsApp ad or a Facebook Page button
-- (referral_source ad / page) and the business replies within 24 hours. The reply opens a
-- 72-hour period in which every message is free (conversation_2023 and the per-message
-- regimes); under conversation_2022 the reply's own conversation is free.
with referrals as (
    select
        messages.business_number,
        -- resolved (int_customer_contacts); a group's thread is the group
        coalesce(messages.group_id, customers.customer, messages.contact) as contact,
        messages.sent_at as referred_at
    from messages
    left join int_customer_contacts as customers on customers.contact = messages.contact
    where messages.direction = 'inbound' and messages.referral_source in ('ad', 'page')
),

delivered as (
    -- only the threads a referral came in on: the ASOF join below sorts this side whole, and
    -- few threads have one (10M messages: 2.1 s to 0.9 s, 2026-12-07)
    select business_number, contact, thread_key, message_key, message_id, sent_at
    from int_outbound
    semi join referrals using (business_number, contact)
    where delivered
),

replies as (
    -- the first delivered business message at or after the referral
    select
        referrals.business_number,
        referrals.contact,
        delivered.thread_key,
        referrals.referred_at,
        delivered.message_key as reply_message_key,
        delivered.message_id as reply_message_id,
        delivered.sent_at as replied_at
    from referrals
    asof join delivered
        on referrals.business_number = delivered.business_number
        and referrals.contact = delivered.contact
        and referrals.referred_at <= delivered.sent_at
    where delivered.sent_at < referrals.referred_at + interval 24 hour
),

final as (
    -- two referrals answered by the same reply open one free entry point
    select distinct
        business_number,
        contact,
        thread_key,
        -- the reply names it: its message key (an integer, like every key the pricing steps
        -- join on)
        reply_message_key as free_entry_point_key,
        -- and its wamid names the free conversation (conversation_2023)
        reply_message_id as free_entry_point_id,
        replied_at as opened_at,
        replied_at + interval 72 hour as closes_at
    from replies
)

select * from final
