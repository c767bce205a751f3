-- Files loaded and failed, rows read and quarantined, and when the last load finished (local).
with source as (
    select * from load_log
),

final as (
    select
        count(*) filter (where outcome = 'loaded') as files_loaded,
        count(*) filter (where outcome = 'failed') as files_failed,
        coalesce(sum(rows_read), 0) as rows_read,
        coalesce(sum(quarantined), 0) as rows_quarantined,
        strftime(timezone($time_zone, max(finished_at)), '%Y-%m-%d %H:%M') as last_load
    from source
)

select * from final
