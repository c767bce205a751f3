-- The public table `markets`: Meta's pricing market of each calling-code prefix over time,
-- written from analytics/data/markets.toml by analytics/markets.py before every rebuild. A
-- message takes the market of the longest prefix of its customer's number on its send date.
create or replace table markets (
    prefix      varchar not null,  -- digits: a calling code, or 1 + an area code
    market      varchar not null,  -- as Meta's rate cards name it
    valid_from  date    not null,  -- first day the mapping applies (0001-01-01: since always)
    valid_to    date,              -- first day it no longer applies; null = still valid
    region      varchar not null,  -- the ISO region the prefix is priced as
    source      varchar not null   -- where the mapping (or the move to it) comes from
);

comment on table markets is 'Meta''s pricing market of each calling-code prefix over time: a message takes the market of the longest prefix of its customer''s number on its send date, valid_from <= date < valid_to.';
comment on column markets.prefix is 'Digits the customer''s number starts with: a country calling code, or 1 and an area code (1787 = Puerto Rico).';
comment on column markets.market is 'Meta''s pricing market, named as on its rate cards (rate_cards.market).';
comment on column markets.valid_from is 'First day (business time zone) the prefix is priced in this market; 0001-01-01 = since before any recorded move.';
comment on column markets.valid_to is 'First day it is no longer priced in this market; null = still valid.';
comment on column markets.region is 'The ISO 3166 region the prefix is priced as (a calling code shared by regions takes its main one).';
comment on column markets.source is 'Where the mapping, or the move to it, is documented.';
