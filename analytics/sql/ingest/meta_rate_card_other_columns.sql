-- The named columns of Meta's rates table (temp table `meta_card_records`) that hold no rate
-- category carewindow prices, such as "Meta Business Agent" (a per-token price since the card
-- effective 2026-10-01): named in the load's notes, never read as rates.
with header as (
    select cells
    from meta_card_records
    where regexp_replace(lower(cells[1]), '[\s_-]+', '', 'g') = 'market'
        and regexp_replace(lower(cells[2]), '[\s_-]+', '', 'g') = 'currency'
    order by record
    limit 1
),

columns as (
    select unnest(cells[3:]) as heading
    from header
),

final as (
    select replace(heading, chr(10), ' ') as heading
    from columns
    where heading is not null
        and trim(regexp_replace(lower(heading), '[^a-z]+', '_', 'g'), '_') not in (
            'marketing', 'utility', 'authentication', 'authentication_international', 'service'
        )
)

select * from final
