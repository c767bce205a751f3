-- Version 1: the loaded tables. Derived tables are rebuilt by `carewindow rebuild` and are not
-- part of the migrations.

create table messages (
    message_id            varchar     not null,  -- the wamid; unique per direction
    direction             varchar     not null,  -- inbound | outbound
    sent_at               timestamptz not null,
    business_number       varchar     not null,  -- digits, as metadata.display_phone_number
    contact               varchar     not null,  -- the customer's WhatsApp id (digits)
    type                  varchar     not null,  -- 'template', a message type, 'call', or 'unknown'
    template_name         varchar,
    template_category     varchar,               -- marketing | utility | authentication
    status                varchar,               -- outbound: sent | delivered | read | failed
    status_at             timestamptz,           -- when the status was reported (webhooks)
    referral_source       varchar,               -- inbound: ad | page
    waba_id               varchar,               -- business account id
    phone_number_id       varchar,
    meta_billable         boolean,               -- Meta's pricing verdict from status webhooks
    meta_pricing_type     varchar,               -- regular | free_customer_service | free_entry_point
    meta_category         varchar,
    meta_pricing_model    varchar,               -- CBP | PMP
    meta_conversation_id  varchar,
    meta_conversation_origin varchar,
    origin                varchar     not null default 'message_log',
                                                 -- message_log | webhook_message | webhook_status | webhook_call
    source_file           varchar     not null,
    source_line           bigint      not null,
    loaded_at             timestamptz not null
);

create table opt_in_events (
    contact          varchar     not null,
    event_at         timestamptz not null,
    event            varchar     not null,  -- opt_in | opt_out
    scope            varchar     not null,  -- all | marketing
    business_number  varchar,               -- null: every number of the business
    source           varchar,
    source_file      varchar     not null,
    source_line      bigint      not null,
    loaded_at        timestamptz not null
);

create table rate_cards (
    effective_from  date        not null,
    market          varchar     not null,
    category        varchar     not null,  -- marketing | utility | authentication | authentication_international | service
    currency        varchar     not null,
    rate            decimal(18, 6) not null,
    tier_from       bigint      not null default 0,  -- monthly volume from which the rate applies
    source_file     varchar     not null,
    loaded_at       timestamptz not null
);

create table quarantine (
    load_id     bigint      not null,
    file        varchar     not null,
    line        bigint,                 -- line (CSV, JSON Lines) or row (Parquet) in the file
    kind        varchar     not null,   -- message_log | webhook | opt_in_ledger | rate_card
    raw         varchar,                -- the row as read, JSON-encoded
    reason      varchar     not null,
    quarantined_at timestamptz not null
);

create table load_log (
    load_id       bigint      not null,
    file          varchar     not null,
    file_sha256   varchar     not null,
    kind          varchar     not null,
    outcome       varchar     not null,  -- loaded | already_loaded | failed
    rows_read     bigint      not null,
    loaded        bigint      not null,  -- new rows
    duplicates    bigint      not null,  -- rows already present (a later status still updates them)
    quarantined   bigint      not null,
    skipped       bigint      not null,  -- events outside carewindow's scope, counted (webhooks)
    detail        varchar,
    started_at    timestamptz not null,
    finished_at   timestamptz not null
);

create table pipeline_runs (
    run_id          varchar     not null,
    command         varchar     not null,  -- ingest | rebuild | report | run | demo
    started_at      timestamptz not null,
    finished_at     timestamptz,
    outcome         varchar     not null,  -- running | succeeded | failed
    files_loaded    bigint,
    rows_loaded     bigint,
    rows_quarantined bigint,
    violations      bigint,
    billable_messages bigint,
    reports_dir     varchar,
    detail          varchar
);
