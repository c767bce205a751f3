-- The latest violations per period, with the local send time; contacts are masked in Python.
with source as (
    select
        sent_at,
        struct_pack(
            sent_at,
            message_id,
            business_number,
            -- a group is named as one (reports/masking.py)
            contact := case when group_id is not null then 'group:' || group_id else contact end,
            kind,
            template_name,
            template_category,
            violation,
            status
        ) as listed
    from violations
),

final as (
    select * from latest_per_period('source', $time_zone, $first_day, $row_limit)
)

select * from final order by period, sent_at desc, message_id
