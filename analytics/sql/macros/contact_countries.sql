{#- A jinja2 macro (not a DuckDB one) shared by cost_reconciliation.sql and
    cost_reconciliation_messages.sql: the country of every contact of a relation (`facts`,
    with a `contact` column), as Meta's figures name it (ISO 3166 alpha-2). -#}

{#- The CTEs `contacts`, `prefix_lengths` and `contact_countries` (contact, country): a phone
    number's country by its longest calling code (calling_codes); a customer known only by a
    business-scoped user ID names its country itself (US.1349...). -#}
{% macro contact_countries(facts) -%}
contacts as (
    select distinct contact, regexp_replace(contact, '[^0-9]', '', 'g') as digits
    from {{ facts }}
    where not regexp_full_match(contact, '[A-Z]{2}\..+')
),

prefix_lengths as (
    select distinct length(prefix) as prefix_length from calling_codes
),

contact_countries as (
    -- equality joins on each possible prefix length keep this a hash join at any volume
    select contacts.contact, arg_max(calling_codes.country, length(calling_codes.prefix)) as country
    from contacts
    cross join prefix_lengths
    join calling_codes on calling_codes.prefix = left(contacts.digits, prefix_lengths.prefix_length)
    group by contacts.contact
    union all
    select distinct contact, left(contact, 2)
    from {{ facts }}
    where regexp_full_match(contact, '[A-Z]{2}\..+')
)
{%- endmacro %}
