-- Each customer's calling-code prefix: the longest prefix of the number's digits that
-- `markets` knows (+1 787 beats +1). The market is looked up by prefix and send date (see
-- int_pricing_messages): every prefix in `markets` covers every date, so the longest one does
-- not depend on the date. Unknown prefixes leave the prefix (and so the market) null.
with contacts as (
    select distinct
        contact,
        regexp_replace(contact, '[^0-9]', '', 'g') as digits
    from int_outbound
),

known_prefixes as (
    select distinct prefix
    from markets
),

prefix_lengths as (
    select distinct length(prefix) as prefix_length
    from known_prefixes
),

candidates as (
    -- equality joins on each possible prefix length keep this a hash join at any volume
    select
        contacts.contact,
        known_prefixes.prefix
    from contacts
    cross join prefix_lengths
    join known_prefixes
        on known_prefixes.prefix = left(contacts.digits, prefix_lengths.prefix_length)
),

final as (
    select
        contacts.contact,
        arg_max(candidates.prefix, length(candidates.prefix)) as prefix
    from contacts
    left join candidates using (contact)
    group by contacts.contact
)

select * from final
