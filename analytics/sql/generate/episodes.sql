-- Synthetic episodes: each customer's conversations, one per time slot, and where their rows
-- start in the message log. An episode is either a customer session (the customer writes, the
-- business answers) or a business-initiated template, possibly answered.
-- Slots keep a customer's episodes more than 24 hours apart, so the generator knows which
-- outbound messages it sent inside a customer care window.
-- As lists, not a join: a join would not keep the rows in order for the running total below.
with numbers as (
    select
        list(business_number order by number_index) as business_numbers,
        list(phone_number_id order by number_index) as phone_number_ids,
        list(waba_id order by number_index) as waba_ids
    from business_numbers
),

slots as (
    select
        customers.*,
        getvariable('generator_seed') as seed,
        unnest(range(customers.episode_count)) as slot
    from customers
),

drawn as (
    select
        slots.*,
        slots.customer_id * 16 + slots.slot as episode_key,
        unit_hash(slots.seed, episode_key, 'other_number') as u_other_number,
        unit_hash(slots.seed, episode_key, 'which_number') as u_which_number,
        unit_hash(slots.seed, episode_key, 'kind') as u_kind,
        unit_hash(slots.seed, episode_key, 'category') as u_category,
        unit_hash(slots.seed, episode_key, 'keep_marketing') as u_keep_marketing,
        unit_hash(slots.seed, episode_key, 'template_name') as u_template_name,
        unit_hash(slots.seed, episode_key, 'size') as u_size,
        unit_hash(slots.seed, episode_key, 'referral') as u_referral,
        unit_hash(slots.seed, episode_key, 'late') as u_late,
        unit_hash(slots.seed, episode_key, 'gap') as u_gap,
        unit_hash(slots.seed, episode_key, 'start') as u_start
    from slots
),

shaped as (
    select
        customer_id,
        slot,
        episode_key,
        contact,
        wamid_prefix,
        -- One in ten episodes goes to another number of the business.
        case
            when u_other_number < 0.10
                then (home_number_index + 1 + floor(u_which_number * 3)::integer) % 4
            else home_number_index
        end as number_index,
        -- Businesses mostly write first to customers who opted in.
        case
            when u_kind < (case when opted_in then 0.42 else 0.08 end) then 'business'
            else 'customer'
        end as kind,
        marketing_opt_out
            and slot > opt_out_after_slot
            and not (marketing_re_opt_in and slot > re_opt_in_after_slot)
            as marketing_stopped,
        u_category,
        u_keep_marketing,
        u_template_name,
        u_size,
        u_referral,
        u_late,
        -- Log-uniform between 20 seconds and 90 minutes: replies within minutes to hours. Even
        -- six such steps in a row stay well inside 24 hours.
        exp(ln(20) + u_gap * (ln(5400) - ln(20))) as gap_seconds,
        -- The last five days of a slot stay free: the longest episode (a late reply up to 72h
        -- after the last inbound) ends more than 24 hours before the next slot starts.
        arrival_seconds + slot * slot_seconds
            + u_start * greatest(slot_seconds - 5 * 86400, 0) as start_seconds
    from drawn
),

categorised as (
    select
        *,
        case
            when kind = 'customer' then null
            when u_category < 0.50 and not (marketing_stopped and u_keep_marketing >= 0.15)
                then 'marketing'
            when u_category < 0.85 then 'utility'
            else 'authentication'
        end as template_category
    from shaped
),

sized as (
    select
        *,
        case
            when kind = 'customer' then 2 + floor(u_size * 6)::integer
            -- A login code gets no answer.
            when template_category = 'authentication' then 1
            when u_size < 0.45 then 1
            when u_size < 0.65 then 2
            when u_size < 0.85 then 3
            else 4
        end as size
    from categorised
),

final as (
    select
        sized.customer_id,
        sized.slot,
        sized.episode_key,
        sized.contact,
        sized.wamid_prefix,
        numbers.business_numbers[sized.number_index + 1] as business_number,
        numbers.phone_number_ids[sized.number_index + 1] as phone_number_id,
        numbers.waba_ids[sized.number_index + 1] as waba_id,
        sized.kind,
        sized.size,
        case
            when sized.kind = 'customer' and sized.u_referral < 0.049 then 'ad'
            when sized.kind = 'customer' and sized.u_referral < 0.07 then 'page'
        end as referral_source,
        sized.kind = 'customer' and sized.u_late < 0.05 as late_reply,
        sized.gap_seconds,
        sized.start_seconds,
        sized.template_category,
        template_name_for(sized.template_category, sized.u_template_name) as template_name,
        -- A running total over the rows as they come, in (customer_id, slot) order: the
        -- customers table is scanned in insertion order and every step keeps it. A streaming
        -- window (no `order by`) needs no sort of these wide rows, which an ordered one would.
        (
            sum(sized.size) over (rows between unbounded preceding and current row)
            - sized.size
        )::bigint as row_offset
    from sized, numbers
)

select * from final
