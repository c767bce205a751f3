-- The flag is the first rule of docs/rules.md, Compliance flags, that applies, and only that.
with expected as (
    select
        message_id,
        kind,
        type,
        in_window,
        opt_in_active,
        violation,
        case
            when in_window then null
            when type = 'unknown' then null
            when kind = 'session' then 'session_outside_window'
            when not opt_in_active then 'template_without_opt_in'
        end as expected_violation
    from message_facts
)

select *
from expected
where violation is distinct from expected_violation
