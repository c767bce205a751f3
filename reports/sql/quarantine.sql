-- Quarantined rows by kind and reason over every load.
-- They belong to files, not to days of traffic, so every report shows them all.
with source as (
    select kind, reason, file, quarantined_at from quarantine
),

final as (
    select
        kind,
        reason,
        count(*) as quarantined_rows,
        count(distinct file) as files,
        max(quarantined_at) as last_quarantined_at
    from source
    group by kind, reason
)

select * from final order by quarantined_rows desc, kind, reason
