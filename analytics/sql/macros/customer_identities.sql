-- resolved_identities(): who each identity is (docs/rules.md, Who the customer is: phone numbers
-- and business-scoped user IDs). A customer is named by a phone number, a business-scoped user ID
-- (BSUID), or both; every message that names both links them, and Meta's system messages
-- (identity_changes) link an identity before a change to the one after it. Each set of linked
-- identities is one customer, shown as its phone number seen last (else its BSUID seen last): the
-- `contact` every derived table shows. Set-based and cheap at any volume: the graph is built from
-- the few distinct identities that come with a BSUID or a change, never per message; a customer
-- known by one phone number alone is not in it (it is simply itself). Returns one row per identity
-- in the graph: identity, is_phone, last_seen_at, customer.
create or replace temp macro resolved_identities() as table
with recursive named as (
    -- one row per distinct (phone, BSUID) a message names; `contact` is the phone number when
    -- the message names one, else the BSUID itself
    select
        case when contact <> contact_user_id then contact end as phone,
        contact_user_id as user_id,
        max(sent_at) as last_seen_at
    from messages
    where contact_user_id is not null
    group by all
),

-- when each identity was seen last; an identity a change leaves ranks just below the one it
-- changes to, so a new phone number names the customer from the change on
seen as (
    select phone as identity, last_seen_at from named where phone is not null
    union all
    select user_id, last_seen_at from named
    union all
    select contact, changed_at from identity_changes where contact is not null
    union all
    select user_id, changed_at from identity_changes where user_id is not null
    union all
    select previous_contact, changed_at - interval 1 microsecond
    from identity_changes where previous_contact is not null
    union all
    select previous_user_id, changed_at - interval 1 microsecond
    from identity_changes where previous_user_id is not null
),

identities as (
    select
        identity,
        regexp_full_match(identity, '[0-9]+') as is_phone,
        max(last_seen_at) as last_seen_at
    from seen
    group by identity
),

links as (
    select phone as a, user_id as b from named where phone is not null
    union all
    select previous_contact, contact from identity_changes
    union all
    select previous_user_id, user_id from identity_changes
    union all
    select contact, user_id from identity_changes
    union all
    select previous_contact, previous_user_id from identity_changes
),

edges as (
    select a, b from links where a is not null and b is not null and a <> b
    union
    select b, a from links where a is not null and b is not null and a <> b
    union
    select identity, identity from identities
),

-- every identity each one reaches: a customer's identities are few (a phone number, its BSUID,
-- and one more pair per number change), so the closure stays small
reach(identity, reached) as (
    select a, b from edges
    union
    select reach.identity, edges.b
    from reach
    join edges on reach.reached = edges.a
),

components as (
    select identity, min(reached) as component
    from reach
    group by identity
),

labels as (
    select components.component, identities.identity as customer
    from components
    join identities using (identity)
    qualify row_number() over (
        partition by components.component
        order by identities.is_phone desc, identities.last_seen_at desc, identities.identity
    ) = 1
)

select
    identities.identity,
    identities.is_phone,
    identities.last_seen_at,
    labels.customer
from identities
join components using (identity)
join labels using (component);
