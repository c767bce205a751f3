{#- jinja2 macros (not DuckDB ones) shared by the two Graph API exports' data points,
    ingest/graph_api_pricing_points.sql and ingest/graph_api_conversation_points.sql. -#}

{#- The CTEs `pages` (the response bodies of temp table `incoming_pages` holding `field`.data[])
    and `points` (one row per data point: line, waba_id, position [data, point], point). -#}
{% macro data_points(field) -%}
pages as (
    select line, page
    from incoming_pages
    where json_type(page -> '$.{{ field }}.data') = 'ARRAY'
),

points as (
    select
        pages.line,
        pages.page ->> 'id' as waba_id,
        [data_number, point_number] as position,
        point
    from pages,
        unnest(pages.page -> '$.{{ field }}.data[*]') with ordinality as d(data, data_number),
        unnest(d.data -> '$.data_points[*]') with ordinality as p(point, point_number)
)
{%- endmacro %}

{#- A data point's granularity, from its period (Meta's response does not repeat it): half_hour,
    daily or monthly, in UTC; null when the period is none of these. -#}
{% macro granularity(period_start, period_end) -%}
case
            when {{ period_end }} - {{ period_start }} = interval 30 minutes
                and epoch({{ period_start }})::bigint % 1800 = 0 then 'half_hour'
            when {{ period_end }} - {{ period_start }} = interval 1 day
                and epoch({{ period_start }})::bigint % 86400 = 0 then 'daily'
            when epoch({{ period_start }})::bigint % 86400 = 0
                and day(timezone('UTC', {{ period_start }})) = 1
                and timezone('UTC', {{ period_end }})
                    = timezone('UTC', {{ period_start }}) + interval 1 month
                then 'monthly'
        end
{%- endmacro %}

{#- The reasons a data point is quarantined that both exports share: its period, its phone
    number (PHONE dimension) and its country (COUNTRY dimension); `when` clauses of a case. -#}
{% macro point_reasons() -%}
when period_start is null or period_end is null
            then 'start and end must be Unix seconds'
        when granularity is null
            then 'the period from start to end is not a half hour, a UTC day or a UTC month'
        when f.phone_number is null
            then 'no phone_number: export with the PHONE dimension'
        when not coalesce(regexp_full_match(business_number, '[0-9]{5,20}'), false)
            then 'phone_number is not a phone number'
        when f.country is null then 'no country: export with the COUNTRY dimension'
        when not regexp_full_match(country, '[A-Z]{2}') then 'country is not an ISO 3166 alpha-2 code'
{%- endmacro %}
