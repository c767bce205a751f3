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
