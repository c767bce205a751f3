-- Rate-card rows read as text (temp table `incoming_rates`), cleaned, typed and checked.
with source as (
    select * from incoming_rates
),

parsed as (
    select
        line,
        nullif(trim(effective_from), '') as effective_text,
        try_cast(trim(effective_from) as date) as effective_from,
        nullif(trim(market), '') as market,
        lower(nullif(trim(category), '')) as category,
        upper(nullif(trim(currency), '')) as currency,
        try_cast(trim(rate) as decimal(18, 6)) as rate,
        nullif(trim(rate), '') as rate_text,
        coalesce(try_cast(nullif(trim(tier_from), '') as bigint), case
            when nullif(trim(tier_from), '') is null then 0
        end) as tier_from
    from source
)

select
    line,
    effective_from,
    market,
    category,
    currency,
    rate,
    tier_from,
    case
        when effective_text is null then 'effective_from is missing'
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
    end as reason
from parsed
