-- A message inside a window names it; a message outside names none.
select message_id, in_window, window_id
from message_facts
where (in_window and window_id is null)
    or (not in_window and window_id is not null)
