-- Windows of one thread are disjoint half-open intervals that last at least 24 hours:
-- overlapping ones should have merged.
with ordered as (
    select
        business_number,
        contact,
        window_id,
        opened_at,
        closes_at,
        lag(closes_at) over (
            partition by business_number, contact order by opened_at
        ) as previous_closes_at
    from care_windows
)

select *
from ordered
where opened_at < previous_closes_at
    or closes_at < opened_at + interval 24 hours
