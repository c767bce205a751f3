-- One of Meta's rate-card tables as records (temp table `meta_card_read`: record, sheet, cells,
-- read in file order), each with the line it starts on and its cells trimmed. In a CSV file a
-- quoted cell may hold a line break (Meta's "Authentication-<line break>International"
-- header), so a record starts further down the file than its number says; in a workbook's
-- sheet (sheet not null) the line is the sheet's row.
with records as (
    select
        record,
        sheet,
        cells,
        case when sheet is null then list_sum(list_transform(
            cells, lambda cell: coalesce(length(cell) - length(replace(cell, chr(10), '')), 0)
        )) else 0 end as line_breaks
    from meta_card_read
),

final as (
    select
        record,
        sheet,
        record + coalesce(sum(line_breaks) over (
            order by record rows between unbounded preceding and 1 preceding
        ), 0) as line,
        list_transform(cells, lambda cell: nullif(trim(cell), '')) as cells,
        -- what the line held, for the quarantine (a sheet's row says which sheet)
        case
            when sheet is null then to_json(cells)::varchar
            else to_json({'sheet': sheet, 'row': record, 'cells': cells})::varchar
        end as raw
    from records
)

select * from final
