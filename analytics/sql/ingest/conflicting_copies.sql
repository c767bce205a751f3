-- The good rows of this file ($source_file) that disagree with another copy of their message:
-- another contact or business number, or (when neither copy is a status alone, whose time is
-- the status's) another send time. Each row is compared with the stored message when there is
-- one (before this file is merged into it), else with the row of this file the merge keeps.
with good as (
    select * from parsed_messages where reason is null
),

compared as (
    select
        g.message_id,
        g.direction,
        g.line,
        g.contact,
        g.business_number,
        g.sent_at,
        g.origin,
        s.message_id is not null as stored,
        coalesce(s.source_file, $source_file) as other_file,
        case when s.message_id is not null then s.source_line else b.source_line end
            as other_line,
        case when s.message_id is not null then s.contact else b.contact end as other_contact,
        case when s.message_id is not null then s.business_number else b.business_number end
            as other_business_number,
        case when s.message_id is not null then s.sent_at else b.sent_at end as other_sent_at,
        case when s.message_id is not null then s.origin else b.origin end as other_origin
    from good as g
    join message_batch as b using (message_id, direction)
    left join messages as s using (message_id, direction)
),

differences as (
    select
        *,
        array_to_string(list_filter([
            -- a phone number and a BSUID are two names of one customer, not a conflict
            case when contact <> other_contact
                and is_bsuid(contact) = is_bsuid(other_contact) then 'contact' end,
            case when business_number <> other_business_number then 'business_number' end,
            case
                when not ends_with(origin, '_status') and not ends_with(other_origin, '_status')
                    and sent_at <> other_sent_at
                    then 'sent_at'
            end
        ], lambda x: x is not null), ', ') as differs
    from compared
    where stored or line <> other_line
)

select
    message_id,
    direction,
    line,
    other_file,
    other_line,
    differs,
    json_object('contact', contact, 'business_number', business_number, 'sent_at', sent_at)::varchar
        as copy_values,
    json_object(
        'contact', other_contact, 'business_number', other_business_number,
        'sent_at', other_sent_at
    )::varchar as other_values
from differences
where differs <> ''
