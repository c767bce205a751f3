-- Version 2 (ingest): conflicting copies of a message, rows quarantined for a retry, and the
-- counts that make every file's load add up.

-- rows read = loaded + duplicates + conflicts + quarantined + skipped
alter table load_log add column conflicts bigint not null default 0;

-- The row as read into canonical columns (JSON), parsed again by `ingest --retry-quarantine`;
-- null for a row that could not be read at all. A retry that loads the row sets the other two.
alter table quarantine add column staged varchar;
alter table quarantine add column released_load_id bigint;
alter table quarantine add column released_at timestamptz;

-- A copy of a message (same message_id and direction) that disagrees with another copy about
-- the contact, the business number or the send time. One row per conflicting copy.
create table message_conflicts (
    message_id       varchar     not null,
    direction        varchar     not null,
    file             varchar     not null,   -- this copy
    line             bigint,
    other_file       varchar     not null,   -- the copy it disagrees with
    other_line       bigint,
    differs          varchar     not null,   -- e.g. 'contact, sent_at'
    copy_values      varchar     not null,   -- JSON: contact, business_number, sent_at
    other_values     varchar     not null,
    kept_file        varchar     not null,   -- where the stored message's facts come from
    kept_line        bigint,
    kept_values      varchar     not null,
    load_id          bigint      not null,
    found_at         timestamptz not null
);
