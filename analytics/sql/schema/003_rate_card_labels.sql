-- Version 3: which card a rate comes from, whether its figures are illustrative, and where a
-- volume tier ends.
alter table rate_cards add column card varchar;
alter table rate_cards add column illustrative boolean default false;
alter table rate_cards add column tier_to bigint;
