-- Synthetic customers: country and number, home business number, opt-in plan, episode count.
-- Every random choice is unit_hash(seed, customer_id, purpose), so a customer depends on the
-- seed and its own id only: generating more customers never changes the earlier ones.
with numbered as (
    select
        range as customer_id,
        getvariable('generator_seed') as seed,
        getvariable('generator_period_seconds') as period_seconds
    from range(getvariable('generator_customer_count'))
),

drawn as (
    select
        customer_id,
        period_seconds,
        unit_hash(seed, customer_id, 'country') as u_country,
        unit_hash(seed, customer_id, 'area_code') as u_area_code,
        -- An affine map modulo 8,000,000 with a multiplier coprime to it is a bijection, so
        -- every customer gets its own seven-digit block (2000000-9999999) and numbers never
        -- collide up to 8 million customers.
        (2000000 + (customer_id * 2654437 + hash(seed, 'contact_offset') % 8000000) % 8000000)
            ::varchar
            as subscriber_block,
        floor(unit_hash(seed, customer_id, 'last_digit') * 10)::integer::varchar as last_digit,
        unit_hash(seed, customer_id, 'home_number') as u_home_number,
        unit_hash(seed, customer_id, 'opt_in') as u_opt_in,
        unit_hash(seed, customer_id, 'opt_in_number') as u_opt_in_number,
        unit_hash(seed, customer_id, 'episodes') as u_episodes,
        unit_hash(seed, customer_id, 'arrival') as u_arrival,
        unit_hash(seed, customer_id, 'opt_out') as u_opt_out,
        unit_hash(seed, customer_id, 'opt_out_slot') as u_opt_out_slot,
        unit_hash(seed, customer_id, 'opt_out_number') as u_opt_out_number,
        unit_hash(seed, customer_id, 're_opt_in') as u_re_opt_in,
        unit_hash(seed, customer_id, 're_opt_in_slot') as u_re_opt_in_slot
    from numbered
),

planned as (
    select
        customer_id,
        -- Mobile number formats that the phonenumbers library accepts as valid for the country.
        case
            when u_country < 0.12 then '3161' || subscriber_block
            when u_country < 0.24 then '49151' || subscriber_block || last_digit
            when u_country < 0.42 then '9198' || subscriber_block || last_digit
            when u_country < 0.56 then '55119' || subscriber_block || last_digit
            when u_country < 0.64 then '4473' || subscriber_block || last_digit
            when u_country < 0.74 then '62812' || subscriber_block || last_digit
            when u_country < 0.82 then '5255' || subscriber_block || last_digit
            when u_country < 0.90
                then '1' || ['212', '312', '415', '646', '305', '713'][
                    1 + floor(u_area_code * 6)::integer
                ] || subscriber_block
            when u_country < 0.92 then '1787' || subscriber_block
            when u_country < 0.97 then '234803' || subscriber_block
            else '346' || subscriber_block || last_digit
        end as contact,
        case
            when u_home_number < 0.35 then 0
            when u_home_number < 0.55 then 1
            when u_home_number < 0.80 then 2
            else 3
        end as home_number_index,
        u_opt_in < 0.80 as opted_in,
        u_opt_in_number < 0.10 as opt_in_for_home_number_only,
        4 + floor(u_episodes * 6)::integer as episode_count,
        -- Customers arrive during the first 60% of the period and stay until its end.
        u_arrival * 0.6 * period_seconds as arrival_seconds,
        period_seconds,
        u_opt_out,
        u_opt_out_slot,
        u_opt_out_number,
        u_re_opt_in,
        u_re_opt_in_slot
    from drawn
),

final as (
    select
        customer_id,
        contact,
        -- How a wamid starts: base64 of a small binary record that holds the number.
        rtrim(to_base64(encode(
            chr(28) || chr(24) || chr(length(contact)::integer) || contact
            || chr(21) || chr(2) || chr(0) || chr(17) || chr(24) || chr(32)
        )), '=') as wamid_prefix,
        home_number_index,
        opted_in,
        opt_in_for_home_number_only,
        episode_count,
        arrival_seconds,
        (period_seconds - arrival_seconds) / episode_count as slot_seconds,
        -- Some opted-in customers stop marketing after one of their episodes ...
        opted_in and u_opt_out < 0.10 as marketing_opt_out,
        floor(u_opt_out_slot * (episode_count - 1))::integer as opt_out_after_slot,
        u_opt_out_number < 0.30 as opt_out_for_home_number_only,
        -- ... and some of them resume it a few episodes later.
        opted_in and u_opt_out < 0.10 and u_re_opt_in < 0.40 as marketing_re_opt_in,
        floor(u_opt_out_slot * (episode_count - 1))::integer + 1
            + floor(u_re_opt_in_slot * (
                episode_count - 1 - floor(u_opt_out_slot * (episode_count - 1))
            ))::integer as re_opt_in_after_slot
    from planned
)

select * from final
