-- Rate-card rows read as text (temp table `incoming_rates`), cleaned, typed and checked. Every
-- format stages the same columns: the canonical CSV as it is, Meta's files through
-- meta_rate_card_rates / meta_rate_card_tiers, which also name what their layout got wrong
-- (format_problem). Parameters: $effective_from (a date that overrides every row's, or null)
-- and $default_card (the card label of rows that name none).
with source as (
    select * from incoming_rates
),

parsed as (
    select
        line,
        raw,
        format_problem,
        nullif(trim(effective_from), '') as effective_text,
        coalesce($effective_from::date, try_cast(trim(effective_from) as date)) as effective_from,
        nullif(trim(market), '') as market,
        -- 'Authentication-International' and 'authentication international' alike
        nullif(trim(regexp_replace(lower(trim(category)), '[^a-z]+', '_', 'g'), '_'), '')
            as category,
        upper(nullif(trim(currency), '')) as currency,
        try_cast(trim(rate) as decimal(18, 6)) as rate,
        nullif(trim(rate), '') as rate_text,
        coalesce(try_cast(nullif(trim(tier_from), '') as bigint), case
            when nullif(trim(tier_from), '') is null then 0
        end) as tier_from,
        nullif(trim(tier_to), '') as tier_to_text,
        try_cast(nullif(trim(tier_to), '') as bigint) as tier_to,
        coalesce(nullif(trim(card), ''), $default_card) as card,
        nullif(lower(trim(illustrative)), '') as illustrative_text
    from source
),

checked as (
    select
        line,
        raw,
        effective_from,
        market,
        category,
        currency,
        rate,
        tier_from,
        tier_to,
        card,
        case
            when illustrative_text is null or illustrative_text in ('false', 'no', '0') then false
            when illustrative_text in ('true', 'yes', '1') then true
        end as illustrative,
        case
            when format_problem is not null then format_problem
            when effective_from is null and effective_text is null then 'effective_from is missing'
            when effective_from is null then 'effective_from is not a date (YYYY-MM-DD)'
            when market is null then 'market is missing'
            when category is null then 'category is missing'
            when category not in (
                'marketing', 'utility', 'authentication', 'authentication_international', 'service'
            )
                then 'category must be marketing, utility, authentication, '
                    || 'authentication_international or service'
            when currency is null or not regexp_full_match(currency, '[A-Z]{3}')
                then 'currency must be a three-letter code'
            when rate_text is null then 'rate is missing'
            when rate is null or rate < 0 then 'rate is not a number >= 0'
            when tier_from is null or tier_from < 0 then 'tier_from is not a whole number >= 0'
            when tier_to_text is not null and (tier_to is null or tier_to <= tier_from)
                then 'tier_to is not a whole number above tier_from'
            when illustrative_text is not null
                and illustrative_text not in ('false', 'no', '0', 'true', 'yes', '1')
                then 'illustrative must be true or false'
        end as reason
    from parsed
),

final as (
    -- a tier that names no end ends where the next higher tier of its card in this file
    -- begins (a workbook's list rate is on both of its sheets); the last one is open-ended
    select
        * exclude (tier_to),
        case when reason is null then coalesce(tier_to, min(tier_from) over (
            partition by reason is null, effective_from, market, category, currency, card
            order by tier_from range between 1 following and unbounded following
        )) end as tier_to
    from checked
)

select * from final
