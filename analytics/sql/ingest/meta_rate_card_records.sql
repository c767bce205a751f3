-- One of Meta's rate-card files as records (temp table `meta_card_read`: record, cells, read
-- in file order), each with the line it starts on and its cells trimmed. A quoted cell may
-- hold a line break (Meta's "Authentication-<line break>International" header), so a record
-- starts further down the file than its number says.
with records as (
    select
        record,
        cells,
        list_sum(list_transform(
            cells, lambda cell: coalesce(length(cell) - length(replace(cell, chr(10), '')), 0)
        )) as line_breaks
    from meta_card_read
),

final as (
    select
        record,
        record + coalesce(sum(line_breaks) over (
            order by record rows between unbounded preceding and 1 preceding
        ), 0) as line,
        list_transform(cells, lambda cell: nullif(trim(cell), '')) as cells,
        -- what the line held, for the quarantine
        to_json(cells)::varchar as raw
    from records
)

select * from final
