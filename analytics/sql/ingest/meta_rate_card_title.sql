-- The title of one of Meta's rate-card tables (temp table `meta_card_records`), e.g. "Cost per
-- message in USD on the WhatsApp Business Platform, effective April 1, 2026": the first cell
-- of the first record that has one. Its currency and the date the card takes effect, null
-- when the title names none.
with title as (
    select list_filter(cells, lambda cell: cell is not null)[1] as text
    from meta_card_records
    where len(list_filter(cells, lambda cell: cell is not null)) > 0
    order by record
    limit 1
),

final as (
    select
        text,
        nullif(regexp_extract(text, '\bin ([A-Z]{3})\b', 1), '') as currency,
        coalesce(
            try_strptime(
                regexp_extract(text, '(?i)effective\s+([a-z]+\.?\s+[0-9]{1,2},?\s+[0-9]{4})', 1),
                ['%B %d, %Y', '%b %d, %Y', '%B %d %Y', '%b. %d, %Y']
            )::date,
            try_cast(regexp_extract(text, '(?i)effective\s+([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date)
        ) as effective_from
    from (select 1) as one
    left join title on true
)

select * from final
