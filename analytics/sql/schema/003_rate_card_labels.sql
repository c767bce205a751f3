-- Version 3: each rate says which card it comes from, whether that card's figures are
-- illustrative, and where a volume tier ends (docs/rules.md, Rate cards and cost in money).

alter table rate_cards add column card varchar;            -- e.g. 'Meta USD card effective 2026-04-01'
alter table rate_cards add column illustrative boolean default false;  -- figures not Meta's
alter table rate_cards add column tier_to bigint;          -- the tier ends where this many were charged; null = open-ended

-- Rates loaded before this version: the card is their file's name; the example card shipped in
-- data/rate_cards/ was illustrative; a tier ends where the next tier of its card begins.
update rate_cards
set
    card = case
        when regexp_matches(source_file, '(^|[/\\])example_rate_card\.csv$')
            then 'illustrative example card'
        else regexp_extract(source_file, '([^/\\]+)$', 1)
    end,
    illustrative = regexp_matches(source_file, '(^|[/\\])example_rate_card\.csv$');

update rate_cards
set tier_to = next_tiers.tier_to
from (
    select
        effective_from, market, category, currency, tier_from,
        lead(tier_from) over (
            partition by effective_from, market, category, currency order by tier_from
        ) as tier_to
    from rate_cards
) as next_tiers
where rate_cards.effective_from = next_tiers.effective_from
    and rate_cards.market = next_tiers.market
    and rate_cards.category = next_tiers.category
    and rate_cards.currency = next_tiers.currency
    and rate_cards.tier_from = next_tiers.tier_from;

comment on column rate_cards.card is 'The card the rate comes from, e.g. ''Meta USD card effective 2026-04-01'' or ''illustrative example card'' (the file''s name when a canonical CSV names none).';
comment on column rate_cards.illustrative is 'True when the card''s figures are not Meta''s (the example card): costs priced by it are illustrative.';
comment on column rate_cards.tier_to is 'Where the volume tier ends: the rate applies while tier_from <= messages already charged this month < tier_to; null = open-ended.';
