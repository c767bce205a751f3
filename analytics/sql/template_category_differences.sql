-- Template sends whose log names another category than Meta's catalogue gave the template at
-- send time: the data-quality section counts and lists them. The log's category
-- prices the send (it is what the sender declared); Meta bills by its own, so these are the
-- first place to look when cost_reconciliation differs for a category.
with categories as (
    select * from int_template_categories
),

final as (
    select
        message_id,
        business_number,
        sent_at,
        template_name,
        log_category,
        catalogue_category as meta_category,
        matched_by
    from categories
    where log_category is not null and log_category <> catalogue_category
)

select * from final
