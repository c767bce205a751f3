-- Helpers for the generator's SQL, created as temporary macros on its own connection.

-- 64 random bits from (seed, key, purpose): the same inputs always give the same bits,
-- whatever the thread count. The purpose is a constant string, hashed once when the query is
-- bound; hashing the combination again makes each purpose an independent draw (DuckDB's own
-- multi-argument hash combines so cheaply that two purposes of one row correlate at ~0.6).
create or replace temp macro random_bits(seed, key, purpose) as
    hash(xor(hash(seed, key), hash(purpose)));

-- A uniform number in [0, 1) from random_bits. The top 53 bits convert to a double exactly, so
-- the result never rounds up to 1.
create or replace temp macro unit_hash(seed, key, purpose) as
    (random_bits(seed, key, purpose) >> 11) / 9007199254740992.0;

-- A template name of the category, picked by a uniform number u in [0, 1).
create or replace temp macro template_name_for(category, u) as
    case category
        when 'marketing' then [
            'autumn_sale', 'black_friday_deals', 'new_collection_launch',
            'abandoned_cart_reminder', 'loyalty_points_bonus', 'winback_discount'
        ][1 + floor(u * 6)::integer]
        when 'utility' then [
            'order_confirmation', 'shipping_update', 'delivery_window',
            'payment_reminder', 'appointment_reminder', 'return_received'
        ][1 + floor(u * 6)::integer]
        when 'authentication' then [
            'login_code', 'verify_phone_number'
        ][1 + floor(u * 2)::integer]
    end;

-- Customers who adopt a WhatsApp username. From April 2026 Meta names their
-- business-scoped user ID (BSUID) beside their number; from July 2026 (usernames rolled out) a
-- few are named by the BSUID alone, the phone number withheld. One in ten customers, drawn from
-- the number, so no column has to travel through the generator's tables.
create or replace temp macro username_kind(seed, contact) as
    case
        when unit_hash(seed, contact, 'username') < 0.04 then 'user_id_only'
        when unit_hash(seed, contact, 'username') < 0.10 then 'both'
    end;

-- The customer's BSUID: the ISO country of its number, a period, 19 digits drawn from it.
create or replace temp macro customer_user_id(seed, contact) as
    concat(
        case
            when starts_with(contact, '1787') then 'PR'
            when starts_with(contact, '1') then 'US'
            when starts_with(contact, '31') then 'NL'
            when starts_with(contact, '49') then 'DE'
            when starts_with(contact, '91') then 'IN'
            when starts_with(contact, '55') then 'BR'
            when starts_with(contact, '44') then 'GB'
            when starts_with(contact, '62') then 'ID'
            when starts_with(contact, '52') then 'MX'
            when starts_with(contact, '234') then 'NG'
            else 'ES'
        end,
        '.',
        (random_bits(seed, contact, 'user_id') % 9000000000000000000::ubigint
            + 1000000000000000000::ubigint)::varchar
    );

-- What a message names the customer by: (contact, contact_user_id).
create or replace temp macro customer_names(seed, contact, sent_at) as
    case
        when sent_at < timestamptz '2026-04-01 00:00:00+00'
            or username_kind(seed, contact) is null then {'contact': contact, 'user_id': null}
        when sent_at >= timestamptz '2026-07-01 00:00:00+00'
            and username_kind(seed, contact) = 'user_id_only'
            then {
                'contact': customer_user_id(seed, contact),
                'user_id': customer_user_id(seed, contact)
            }
        else {'contact': contact, 'user_id': customer_user_id(seed, contact)}
    end;
