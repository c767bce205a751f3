-- The named columns of Meta's rates table (temp table `meta_card_records`) that hold no rate
-- category carewindow prices, such as "Meta Business Agent" (a per-token price since the card
-- effective 2026-10-01): named in the load's notes, never read as rates.
with columns as (
    select unnest(cells[3:]) as heading
    from meta_card_header  -- meta_rate_card_header.sql
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
