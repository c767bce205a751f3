-- Parsing rules shared by every loader, as temporary macros on the loading connection.

-- An instant from text: Unix seconds, ISO-8601 with an offset or Z, or a naive local time read
-- in the source time zone. Null when the text is none of these.
create or replace temp macro instant_from_text(text, source_time_zone) as
    case
        when regexp_full_match(text, '[0-9]{1,12}(\.[0-9]+)?')
            then try(to_timestamp(text::double))
        when regexp_matches(
            text, '[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$'
        )
            then try_cast(text as timestamptz)
        else try(timezone(source_time_zone, try_cast(text as timestamp)))
    end;

-- A phone number as digits: '+31 (6) 1234-5678' -> '31612345678'. Clean digits, the common
-- case, skip the costlier regexp_replace.
create or replace temp macro phone_digits(text) as
    case
        when regexp_full_match(text, '[0-9]+') then text
        else nullif(regexp_replace(trim(text), '[\s+().-]', '', 'g'), '')
    end;
