-- Version 7: WhatsApp groups (Cloud API Groups API, since 2025). A message to or from a group
-- names the group (messages[].group_id; statuses[].recipient_id with recipient_type "group").
-- `messages` keeps one row per group message: an inbound one names its sender (the
-- participant) in `contact`; an outbound one names the group there, since the thread is
-- (business number, group). Meta reports an outbound group message once per participant it
-- reached (recipient_participant_id), all under one wamid, and charges each delivery at the
-- participant's rate: those deliveries are kept here, one row per (message, participant).
alter table messages add column if not exists group_id varchar;

create table if not exists group_deliveries (
    message_id                  varchar     not null,  -- the group message's wamid
    group_id                    varchar     not null,
    business_number             varchar     not null,
    participant                 varchar     not null,  -- phone digits, else the participant's BSUID
    participant_user_id         varchar,               -- recipient_participant_user_id (BSUID)
    participant_parent_user_id  varchar,               -- recipient_participant_parent_user_id
    status                      varchar,               -- sent | delivered | read | failed, the furthest
    status_at                   timestamptz,           -- when the latest status was reported
    meta_billable               boolean,               -- Meta's verdict for this delivery
    meta_pricing_type           varchar,               -- regular | free_group_customer_service | ...
    meta_category               varchar,               -- group_marketing | group_utility | group_service | ...
    meta_pricing_model          varchar,
    meta_pricing_subtype        varchar,
    origin                      varchar     not null,  -- message_log | webhook_status
    source_file                 varchar     not null,
    source_line                 bigint      not null,
    loaded_at                   timestamptz not null
);
