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

-- An instant from text: Unix seconds, ISO-8601 with an offset or Z, or a naive local time read
-- in the source time zone. Null when the text is none of these.
create or replace temp macro instant_from_text(text, source_time_zone) as
    case
        -- the common export format, '2025-04-09T08:44:14Z'
        when ends_with(text, 'Z') then try_cast(text as timestamptz)
        when regexp_full_match(text, '[0-9]{1,12}(\.[0-9]+)?')
            then try(to_timestamp(text::double))
        when regexp_matches(
            text, '[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$'
        )
            then try_cast(text as timestamptz)
        else try(timezone(source_time_zone, try_cast(text as timestamp)))
    end;

-- Whether text is a phone number as WhatsApp writes it: 5 to 20 digits, nothing else.
create or replace temp macro is_phone_digits(text) as regexp_full_match(text, '[0-9]{5,20}');

-- A phone number as digits: '+31 (6) 1234-5678' -> '31612345678'. Clean digits, the common
-- case, skip the costlier regexp_replace.
create or replace temp macro phone_digits(text) as
    case
        when is_phone_digits(text) then text
        else nullif(regexp_replace(trim(text), '[\s+().-]', '', 'g'), '')
    end;
