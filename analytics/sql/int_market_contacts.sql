-- Each customer's calling-code prefix: the longest prefix of the number's digits that
-- `markets` knows (+1 787 beats +1). The market is looked up by prefix and send date (see
-- int_pricing_messages): every prefix in `markets` covers every date, so the longest one does
-- not depend on the date. Unknown prefixes leave the prefix (and so the market) null.
-- A customer known only by a business-scoped user ID (`BR.1502576394655843`) is priced
-- by the country in front of it, as a number of that country would be: the shortest prefix
-- `markets` gives that region (its market on every date is the region's), else the region's
-- calling code (`region_calling_codes`, for a region `markets` names no prefix of). Meta does
-- not document how it prices such a recipient (docs/rules.md); data quality counts them.
-- Groups: a group is no customer and has no market; each participant of a group message is
-- priced at its own market (int_group_deliveries), so the participants are looked up too.
with customers as (
    select distinct contact
    from int_outbound
    where group_id is null
    union
    select coalesce(customers.customer, group_deliveries.participant)
    from group_deliveries
    left join int_customer_contacts as customers
        on customers.contact = group_deliveries.participant
),

contacts as (
    select
        contact,
        regexp_replace(contact, '[^0-9]', '', 'g') as digits
    from customers
    where not regexp_full_match(contact, '[A-Z]{2}\..+')
),

user_id_contacts as (
    select contact, left(contact, 2) as region
    from customers
    where regexp_full_match(contact, '[A-Z]{2}\..+')
),

region_prefixes as (
    select
        region_calling_codes.region,
        coalesce(own.prefix, region_calling_codes.prefix) as prefix
    from region_calling_codes
    left join (
        select region, arg_min(prefix, length(prefix)) as prefix
        from markets
        group by region
    ) as own using (region)
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
    union all
    select user_id_contacts.contact, region_prefixes.prefix
    from user_id_contacts
    left join region_prefixes using (region)
)

select * from final
