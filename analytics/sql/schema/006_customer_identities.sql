-- Version 6: a customer is whoever Meta says it is, a phone number, a business-scoped user ID
-- (BSUID, `US.13491208655302741918`), or both (docs/rules.md, Who the customer is: phone numbers
-- and business-scoped user IDs). `messages.contact` keeps the phone number when the message names
-- one, else the BSUID; the BSUID beside it is kept here.
alter table messages add column if not exists contact_user_id varchar;         -- the customer's BSUID, whole
alter table messages add column if not exists contact_parent_user_id varchar;  -- parent BSUID (`US.ENT.…`)
alter table messages add column if not exists contact_username varchar;        -- contacts[].profile.username

-- Meta's system messages that change who a customer is: `user_changed_number` (a new phone
-- number, and so a new BSUID) and `user_changed_user_id` (a new BSUID, no phone number). They
-- are not messages from the customer: they open no window; the rebuild links the identities.
create table if not exists identity_changes (
    message_id        varchar     not null,  -- the system message's wamid
    changed_at        timestamptz not null,
    business_number   varchar     not null,
    waba_id           varchar,
    change            varchar     not null,  -- user_changed_number | user_changed_user_id
    previous_contact  varchar,               -- the phone number before (messages[].from)
    contact           varchar,               -- the phone number after (system.wa_id)
    previous_user_id  varchar,               -- system.previous_user_id
    user_id           varchar,               -- system.user_id
    source_file       varchar     not null,
    source_line       bigint      not null,
    loaded_at         timestamptz not null
);
