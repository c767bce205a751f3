-- List this file's conflicting copies (temp table conflicting_copies) in message_conflicts,
-- with the values the stored message kept after the merge.
insert into message_conflicts by name
select
    c.message_id,
    c.direction,
    now() as found_at,
    $load_id as load_id,
    c.line,
    c.other_file,
    c.other_line,
    c.differs,
    c.copy_values,
    c.other_values,
    m.source_file as kept_file,
    m.source_line as kept_line,
    json_object(
        'contact', m.contact, 'business_number', m.business_number, 'sent_at', m.sent_at
    )::varchar as kept_values,
    $source_file as file
from conflicting_copies as c
join messages as m using (message_id, direction)
