-- kind and violation only take the values message_facts' description lists
-- (analytics/sql/message_facts.toml).
select message_id, kind, violation
from message_facts
where kind not in ('session', 'template', 'unknown')
    or violation not in ('session_outside_window', 'template_without_opt_in')
