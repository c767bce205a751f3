-- Version 5: Meta's pricing subtype from status webhooks (pricing.subtype, since October 2026,
-- e.g. paid_exempt for exempt government and non-profit service messages), kept beside the
-- verdict as Meta writes it.

alter table messages add column if not exists meta_pricing_subtype varchar;
