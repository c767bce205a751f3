-- Meta's rates table (temp table `meta_card_records`: the rates CSV, or the workbook's sheet
-- "List rates") as rate-card rows for rate_card_rows.sql: after the title and preamble lines,
-- the header `Market, Currency, Marketing, Utility, Authentication,
-- Authentication-International, Service[, Meta Business Agent]` and one line per market; each
-- rate cell is one row, `n/a` (or a workbook's empty cell: no rate in that market) is skipped. Columns are
-- found by name (line breaks, spaces, hyphens and case aside); a column that is no rate
-- category carewindow prices (Meta Business Agent's per-token price) is not read:
-- meta_rate_card_other_columns.sql names them. Parameters: $currency (the title's), $card
-- (the card's label).
with records as (
    select * from meta_card_records
),

header as (
    select * from meta_card_header  -- meta_rate_card_header.sql
),

rate_columns as (
    -- every column after Market and Currency holds one category's rates
    select
        unnest(range(3, len(cells) + 1)) as position,
        cells
    from header
),

categories as (
    select
        position,
        replace(cells[position], chr(10), ' ') as heading,
        trim(regexp_replace(lower(cells[position]), '[^a-z]+', '_', 'g'), '_') as category
    from rate_columns
    where trim(regexp_replace(lower(cells[position]), '[^a-z]+', '_', 'g'), '_') in (
        'marketing', 'utility', 'authentication', 'authentication_international', 'service'
    )
),

data_rows as (
    select records.*
    from records
    join header on records.record > header.record
    where len(list_filter(records.cells, lambda cell: cell is not null)) > 0
),

cells as (
    select
        data_rows.line,
        data_rows.sheet,
        data_rows.raw,
        data_rows.cells[1] as market,
        data_rows.cells[2] as currency,
        len(list_filter(data_rows.cells[2:], lambda cell: cell is not null)) = 0 as note_only,
        categories.heading,
        categories.category,
        data_rows.cells[categories.position] as rate
    from data_rows
    cross join categories
),

final as (
    select
        line,
        null::varchar as effective_from,
        market,
        category,
        coalesce(currency, $currency) as currency,
        rate,
        '0' as tier_from,
        null::varchar as tier_to,
        $card as card,
        'false' as illustrative,
        case
            when note_only then 'no currency and no rates on this line (a note?)'
            when upper(currency) <> upper($currency)
                then 'currency ' || currency || ' is not the ' || $currency || ' of the title line'
        end as format_problem,
        case
            when note_only then null
            when lower(rate) = 'n/a' then 'no rate in this market (n/a)'
            -- Meta's workbook leaves a cell empty where its CSV says n/a; in a CSV an empty
            -- cell among rates is a rate missing (quarantined by rate_card_rows)
            when rate is null and sheet is not null then 'no rate in this market (empty cell)'
        end as skip_reason,
        raw
    from cells
)

select * from final
