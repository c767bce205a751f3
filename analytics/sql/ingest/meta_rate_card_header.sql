-- The header row of Meta's rates table (temp table `meta_card_records`): the first record whose
-- first two cells are Market and Currency (line breaks, spaces, hyphens and case aside).
select record, cells
from meta_card_records
where regexp_replace(lower(cells[1]), '[\s_-]+', '', 'g') = 'market'
    and regexp_replace(lower(cells[2]), '[\s_-]+', '', 'g') = 'currency'
order by record
limit 1
