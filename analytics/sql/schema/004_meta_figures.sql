-- Version 4: what Meta itself reports (its pricing figures and template catalogue). Loaded tables:
-- Meta's pricing_analytics and conversation_analytics data points, the message-templates lists
-- (snapshots) and the template_category_update webhooks; `templates` is derived from the last two
-- at every load of either (analytics/ingest/templates.py), one row per category period.

create table if not exists meta_pricing_analytics (
    waba_id           varchar,                -- the response's id (the business account)
    period_start      timestamptz not null,   -- the data point's start (UTC)
    period_end        timestamptz not null,   -- its end: start + 30 minutes, 1 day or 1 month
    granularity       varchar     not null,   -- half_hour | daily | monthly
    business_number   varchar     not null,   -- phone_number, digits
    country           varchar     not null,   -- ISO 3166 alpha-2, as Meta gives it
    pricing_category  varchar     not null,   -- Meta's words, lower case: marketing, utility, ...
    pricing_type      varchar     not null,   -- regular | free_customer_service | free_entry_point | ...
    tier              varchar,                -- the volume tier, e.g. '0:100000'; null on free rows
    volume            bigint,                 -- delivered messages Meta counted
    cost              decimal(18, 6),         -- Meta's approximate charge in the account's currency
    source_file       varchar     not null,
    source_line       bigint      not null,
    loaded_at         timestamptz not null
);

create table if not exists meta_conversation_analytics (
    waba_id                 varchar,
    period_start            timestamptz not null,
    period_end              timestamptz not null,
    granularity             varchar     not null,   -- half_hour | daily | monthly
    business_number         varchar     not null,
    country                 varchar     not null,
    conversation_category   varchar     not null,   -- marketing | utility | authentication | service
    conversation_type       varchar     not null,   -- regular | free_tier | free_entry_point
    conversation_direction  varchar,                -- business_initiated | user_initiated | unknown
    volume                  bigint,                 -- conversations Meta counted
    cost                    decimal(18, 6),
    source_file             varchar     not null,
    source_line             bigint      not null,
    loaded_at               timestamptz not null
);

create table if not exists template_snapshots (
    waba_id            varchar,
    template_id        varchar     not null,
    name               varchar     not null,
    language           varchar     not null,
    category           varchar     not null,   -- marketing | utility | authentication
    status             varchar,                -- approved | paused | rejected | ...
    previous_category  varchar,                -- Meta's previous_category field, when listed
    observed_at        timestamptz not null,   -- the list gives the category as of its load
    source_file        varchar     not null,
    source_line        bigint      not null,
    loaded_at          timestamptz not null
);

create table if not exists template_category_updates (
    waba_id             varchar,
    template_id         varchar     not null,
    name                varchar,
    language            varchar,
    notice              varchar     not null,   -- completed | impending
    previous_category   varchar,                -- completed: the category before
    new_category        varchar     not null,   -- completed: the category after; impending: current
    correct_category    varchar,                -- impending: the category it will get
    category_update_at  timestamptz,            -- impending: when it will
    changed_at          timestamptz not null,   -- the webhook entry's time
    source_file         varchar     not null,
    source_line         bigint      not null,
    loaded_at           timestamptz not null
);

create table if not exists templates (
    waba_id      varchar,
    template_id  varchar     not null,
    name         varchar     not null,
    language     varchar,
    category     varchar     not null,
    status       varchar,
    valid_from   timestamptz,            -- null: since before anything carewindow knows
    valid_to     timestamptz,            -- the first instant it no longer holds; null: still
    set_by       varchar     not null    -- snapshot | category_update: what started the period
);

-- A message log may name the template by Meta's id and language (the catalogue matches on
-- them before the name); loaders that know them fill these, others leave them null.
alter table messages add column if not exists template_id varchar;
alter table messages add column if not exists template_language varchar;
