-- Meta's volume-tiers file (temp table `meta_card_records`) as rate-card rows for
-- rate_card_rows.sql. Two header rows: the categories (Utility, Authentication,
-- Authentication-International), each over a group of columns, and the column names (Market,
-- Currency, then per group From, To, Rate type, Rate, vs. List rate). Then per market a group
-- of lines, the market named on its first line only. Each (line, category) is one tier;
-- counts are written "100,001", `--` is open-ended, `n/a` (no tiers in that category) is
-- skipped. Meta's From counts the first message the rate applies to, carewindow's tier_from
-- the messages already charged: From 100,001 is tier_from 100,000; To is where the tier ends
-- (tier_to, the next tier's tier_from). Parameters: $currency (the title's), $card.
with records as (
    select * from meta_card_records
),

header as (
    select record, cells
    from records
    where starts_with(lower(cells[1]), 'market')
        and list_contains(
            list_transform(cells, lambda cell: regexp_replace(lower(cell), '[\s_-]+', '', 'g')),
            'ratetype'
        )
    order by record
    limit 1
),

category_row as (
    -- the nearest line above the header that names the utility group
    select records.cells
    from records
    join header on records.record < header.record
    where list_contains(list_transform(records.cells, lambda cell: lower(cell)), 'utility')
    order by records.record desc
    limit 1
),

positions as (
    select unnest(range(3, len(cells) + 1)) as position
    from header
),

tier_columns as (
    -- the role of every column, and its group's category (named over the group's first column)
    select
        positions.position,
        trim(regexp_replace(lower(header.cells[positions.position]), '[^a-z]+', '_', 'g'), '_')
            as role,
        last_value(category_row.cells[positions.position] ignore nulls) over (
            order by positions.position rows between unbounded preceding and current row
        ) as heading
    from positions
    cross join header
    cross join category_row
),

data_rows as (
    select
        records.*,
        -- the market is named on the first line of its group only
        last_value(records.cells[1] ignore nulls) over (
            order by records.record rows between unbounded preceding and current row
        ) as market
    from records
    join header on records.record > header.record
    where len(list_filter(records.cells, lambda cell: cell is not null)) > 0
),

tiers as (
    select
        data_rows.line,
        any_value(data_rows.raw) as raw,
        any_value(data_rows.market) as market,
        any_value(data_rows.cells[2]) as currency,
        tier_columns.heading,
        max(data_rows.cells[tier_columns.position]) filter (where tier_columns.role = 'from')
            as from_text,
        max(data_rows.cells[tier_columns.position]) filter (where tier_columns.role = 'to')
            as to_text,
        max(data_rows.cells[tier_columns.position]) filter (where tier_columns.role = 'rate_type')
            as rate_type,
        max(data_rows.cells[tier_columns.position]) filter (where tier_columns.role = 'rate')
            as rate
    from data_rows
    cross join tier_columns
    group by data_rows.line, tier_columns.heading
),

counted as (
    select
        *,
        trim(regexp_replace(lower(replace(heading, chr(10), ' ')), '[^a-z]+', '_', 'g'), '_')
            as category,
        try_cast(replace(from_text, ',', '') as bigint) as from_count,
        try_cast(replace(to_text, ',', '') as bigint) as to_count
    from tiers
),

final as (
    select
        line,
        null::varchar as effective_from,
        market,
        category,
        coalesce(currency, $currency) as currency,
        rate,
        greatest(from_count - 1, 0)::varchar as tier_from,
        to_count::varchar as tier_to,
        $card as card,
        'false' as illustrative,
        case
            when market is null then 'market is missing (no market named on this line or above)'
            when category not in ('utility', 'authentication', 'authentication_international')
                then 'group "' || coalesce(heading, '') || '" is not a tiered category'
            when upper(currency) <> upper($currency)
                then 'currency ' || currency || ' is not the ' || $currency || ' of the title line'
            when from_count is null or from_count < 0 then 'From is not a whole number >= 0'
            when to_text <> '--' and to_count is null then 'To is not a whole number or --'
            when to_count < from_count then 'To is below From'
            when lower(rate_type) not in ('list rate', 'tier rate')
                then 'Rate type must be List rate or Tier rate'
        end as format_problem,
        case
            when coalesce(lower(from_text), 'n/a') = 'n/a'
                and coalesce(lower(to_text), 'n/a') = 'n/a'
                and coalesce(lower(rate), 'n/a') = 'n/a'
                then 'no volume tiers in this market (n/a)'
        end as skip_reason,
        raw
    from counted
)

select * from final
