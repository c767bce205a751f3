-- Parsing rules shared by every loader, as temporary macros on the loading connection.
-- Each one takes the common, clean case through a cheap test first: at a hundred million rows,
-- trim(), lower() and regular expressions on every value cost more than reading the file.

-- Text without the spaces around it, null when nothing is left. trim() only removes spaces, so
-- text that neither starts nor ends with one is returned as it is.
create or replace temp macro trimmed(text) as
    case
        when starts_with(text, ' ') or ends_with(text, ' ') then nullif(trim(text), '')
        else nullif(text, '')
    end;

-- A code word (direction, status, category, ...) trimmed and lower-cased; text that is already
-- one of the `canonical` spellings skips both.
create or replace temp macro code_word(text, canonical) as
    case when list_contains(canonical, text) then text else lower(trimmed(text)) end;

-- An instant from text: ISO-8601 with an offset or Z; Unix seconds, milliseconds (13-15
-- digits), microseconds (16-18) or nanoseconds (19); RFC 2822 ('Tue, 01 Apr 2025 10:00:00
-- +0000', Twilio's form); or a naive local time, ISO-8601 or in `timestamp_format` (strptime
-- codes), read in the source time zone. Null when the text is none of these.
create or replace temp macro instant_from_text(text, source_time_zone, timestamp_format) as
    case
        -- the common export format, '2025-04-09T08:44:14Z'
        when ends_with(text, 'Z') then try_cast(text as timestamptz)
        when regexp_full_match(text, '[0-9]{1,12}(\.[0-9]+)?')
            then try(to_timestamp(text::double))
        when regexp_full_match(text, '[0-9]{13,19}') then try(
            to_timestamp(0) + case
                when length(text) <= 15 then to_milliseconds(text::bigint)
                when length(text) <= 18 then to_microseconds(text::bigint)
                else to_microseconds((text::hugeint // 1000)::bigint)
            end
        )
        when regexp_matches(
            text, '[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$'
        )
            then coalesce(try_cast(text as timestamptz), try_strptime(
                regexp_replace(text, '\s+', ' ', 'g'),
                ['%a, %d %b %Y %H:%M:%S %z', '%d %b %Y %H:%M:%S %z', '%a, %d %b %Y %H:%M %z']
            ))
        when regexp_matches(text, '[0-9]{2}:[0-9]{2}(:[0-9]{2})?\s+(GMT|UT|UTC)$')
            then try_strptime(
                regexp_replace(regexp_replace(text, '\s+', ' ', 'g'), ' (GMT|UT|UTC)$', ' +0000'),
                ['%a, %d %b %Y %H:%M:%S %z', '%d %b %Y %H:%M:%S %z']
            )
        else try(timezone(source_time_zone, coalesce(
            try_cast(text as timestamp), try_strptime(text, timestamp_format)
        )))
    end;

-- Whether text is already a phone number in E.164 digits, as WhatsApp writes it: 5 to 20
-- digits, the first not 0. Anything else is looked up in `phone_numbers` (analytics/ingest/
-- phones.py), which holds the distinct other spellings of the file, normalised.
create or replace temp macro is_phone_digits(text) as regexp_full_match(text, '[1-9][0-9]{4,19}');

-- Whether text is a business-scoped user ID (BSUID; docs/rules.md, Who the customer is): the
-- user's ISO 3166 country, a period, up to 128 letters and digits (`US.13491208655302741918`); a
-- parent BSUID has `ENT.` after the country (`US.ENT.11815799212886844830`). A BSUID is used
-- whole, never normalised.
create or replace temp macro is_bsuid(text) as
    regexp_full_match(text, '[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}');

-- The shifts that put rows numbered in file order back on their lines of the file, past the
-- rows the CSV reader rejected (`rejects` names its rejects table): numbered rows from
-- from_line on come after `rejected_before` rejected rows. Read through rejected_line_buckets
-- (Staging.lines_of).
create or replace temp macro rejected_line_shifts(rejects) as table
with rejected as (
    select line, row_number() over (order by line) as rejected_before
    from (select distinct line from query_table(rejects))
)
select line - rejected_before + 1 as from_line, max(rejected_before) as rejected_before
from rejected
group by all;

-- rejected_line_shifts in buckets of `bucket_rows` numbered lines, for an equi-join on
-- bucket = line // bucket_rows (no sort of the rows it numbers, unlike an ASOF join: putting
-- 10 million staged rows back on their lines took 6.4 s so, 1.9 s this way, against 1.7 s
-- for the rows alone). `last_line` is the highest numbered line; each bucket has the shift in
-- force at its start (`base`) and the shifts that start inside it (`starts`: from_line,
-- `shifts`: rejected_before), few when bucket_rows is about the rows per rejected row.
create or replace temp macro rejected_line_buckets(rejects, bucket_rows, last_line) as table
with shifts as (
    select * from rejected_line_shifts(rejects)
),

inside as (
    select
        from_line // bucket_rows as bucket,
        list(from_line order by from_line) as starts,
        list(rejected_before order by from_line) as shifts
    from shifts
    group by all
)

select
    buckets.bucket,
    coalesce(before.rejected_before, 0) as base,
    coalesce(inside.starts, []) as starts,
    coalesce(inside.shifts, []) as shifts
from (select range as bucket from range(0, last_line // bucket_rows + 1)) as buckets
asof left join shifts as before on buckets.bucket * bucket_rows - 1 >= before.from_line
left join inside using (bucket);

-- A numbered line put back on its line of the file, from its bucket of rejected_line_buckets.
create or replace temp macro shifted_line(line, base, starts, shifts) as
    line + case
        when len(starts) = 0 then base
        else greatest(base, coalesce(
            list_max(list_filter(shifts, lambda shift, i: starts[i] <= line)), 0
        ))
    end;

-- Whether text is a WhatsApp group ID as the Groups API writes it (messages[].group_id, a
-- group status's recipient_id): an opaque token of letters, digits and the base64 characters
-- `_ - = + /` (Meta's example `Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD`), 6 to
-- 256 of them. Never a phone number: it is not normalised, and a value with spaces, `@`
-- (`120363...@g.us`, an unofficial API's group) or other punctuation is no group of the Cloud
-- API.
create or replace temp macro is_group_id(text) as
    regexp_full_match(text, '[A-Za-z0-9_=+/-]{6,256}');

-- How far a message has got: a later status never gives way to an earlier one (sent, delivered,
-- read, failed); anything else ranks below them.
create or replace temp macro status_rank(status) as
    case status when 'sent' then 1 when 'delivered' then 2 when 'read' then 3
        when 'failed' then 4 else 0 end;
