-- The template catalogue over time (table `templates`): one row per template and category
-- period, from the loaded lists (template_snapshots) and completed category changes
-- (template_category_updates). How they combine:
--   * each is an event at an instant: a list says "category C at its load time", a change says
--     "category P before its entry time, N from then on";
--   * the category in force at an instant is that of the latest event at or before it (a change
--     and a list at the same instant: the list, read after); before a template's first event,
--     the first event's "before" category (a list's own category: a template listed once has
--     had that category since before anything carewindow knows);
--   * consecutive pieces of the same category are one period. valid_from null = since always,
--     valid_to null = still in force (valid_to is the first instant it no longer holds).
-- Impending notices (Meta announcing a change 24 hours ahead) set no period: the completed
-- notice that follows does. Name, language and account are the latest known; status the latest
-- list's.
with events as (
    select
        template_id, waba_id, name, language, observed_at as event_at, 1 as event_order,
        category as before_category, category as after_category, status, 'snapshot' as set_by
    from template_snapshots
    union all
    select
        template_id, waba_id, name, language, changed_at, 0,
        previous_category, new_category, null, 'category_update'
    from template_category_updates
    where notice = 'completed'
),

ordered as (
    select
        *,
        row_number() over (partition by template_id order by event_at, event_order) as event_number,
        lead(event_at) over (partition by template_id order by event_at, event_order) as next_at
    from events
),

pieces as (
    select
        template_id, 0 as event_number, null::timestamptz as valid_from, event_at as valid_to,
        before_category as category, set_by
    from ordered
    where event_number = 1
    union all
    select template_id, event_number, event_at, next_at, after_category, set_by
    from ordered
    where next_at is null or next_at > event_at
),

changes as (
    select
        *,
        category is distinct from lag(category) over (
            partition by template_id order by event_number
        ) as starts_period
    from pieces
),

numbered as (
    select
        *,
        sum(starts_period::int) over (
            partition by template_id order by event_number rows unbounded preceding
        ) as period_number
    from changes
),

periods as (
    select
        template_id,
        period_number,
        any_value(category) as category,
        -- lists keep nulls (arg_min would skip them): null bounds mean "always"
        (list(valid_from order by event_number))[1] as valid_from,
        (list(valid_to order by event_number desc))[1] as valid_to,
        (list(set_by order by event_number))[1] as set_by
    from numbered
    group by template_id, period_number
),

attributes as (
    select
        template_id,
        arg_max(waba_id, event_at) filter (where waba_id is not null) as waba_id,
        arg_max(name, event_at) filter (where name is not null) as name,
        arg_max(language, event_at) filter (where language is not null) as language,
        arg_max(status, event_at) filter (where status is not null) as status
    from events
    group by template_id
)

select
    attributes.waba_id,
    periods.template_id,
    coalesce(attributes.name, periods.template_id) as name,
    attributes.language,
    periods.category,
    attributes.status,
    periods.valid_from,
    periods.valid_to,
    periods.set_by
from periods
join attributes using (template_id)
