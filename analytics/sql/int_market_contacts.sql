-- Each customer's pricing market: the longest calling-code prefix of the number that
-- pricing_market_prefixes knows (+1 787 beats +1). Unknown prefixes leave the market null.
with contacts as (
    select distinct
        contact,
        regexp_replace(contact, '[^0-9]', '', 'g') as digits
    from int_outbound
),

prefix_lengths as (
    select distinct length(prefix) as prefix_length
    from pricing_market_prefixes
),

candidates as (
    -- equality joins on each possible prefix length keep this a hash join at any volume
    select
        contacts.contact,
        prefix_lengths.prefix_length,
        pricing_market_prefixes.market
    from contacts
    cross join prefix_lengths
    join pricing_market_prefixes
        on pricing_market_prefixes.prefix = left(contacts.digits, prefix_lengths.prefix_length)
),

final as (
    select
        contacts.contact,
        arg_max(candidates.market, candidates.prefix_length) as market
    from contacts
    left join candidates using (contact)
    group by contacts.contact
)

select * from final
