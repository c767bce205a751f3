"""The aggregates reports show, read from the warehouse in a few grouped queries.

Each query reads its table once and returns rows for days and for months together, so one pass
feeds every daily and monthly report, and what Python receives grows with days and categories,
never with messages. Day rows older than `first_day` are dropped: only recent days get a report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from reports.masking import masked_contact, masked_numbers_in_text

# The tables and views reports read; without them there is nothing to report yet.
REQUIRED_TABLES = ("daily_summary", "message_facts", "violations", "pricing_reconciliation")
# The loading record, part of the schema from the first migration.
LOAD_TABLES = ("load_log", "quarantine")

# Rows listed individually (latest violations, latest disagreements) per report.
LISTED_ROWS = 25

REGIMES = (
    "session_2019",
    "conversation_2022",
    "conversation_2023",
    "per_message_2025",
    "per_message_2026_10",
)

MISSING_TABLES_SQL = """
select required.table_name
from (select unnest($names) as table_name) as required
anti join information_schema.tables as present
    on present.table_name = required.table_name
order by required.table_name
"""

REPORT_DAYS_SQL = """
with days as (
    select day from daily_summary group by day
)
select day from days order by day desc limit $day_count
"""

HEADLINE_SQL = """
with source as (
    select *, date_trunc('month', day)::date as month from daily_summary
),

grouped as (
    select
        day,
        month,
        sum(inbound_messages) as inbound_messages,
        sum(outbound_messages) as outbound_messages,
        sum(windows_opened) as windows_opened,
        sum(in_window) as in_window,
        sum(outside_window) as outside_window,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(marketing_opt_out_warnings) as marketing_opt_out_warnings,
        sum(failed_messages) as failed_messages,
        sum(free_messages) as free_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(cost_unknown_messages) as cost_unknown_messages
    from source
    group by grouping sets ((day), (month))
),

final as (
    select
        case when day is null then 'month' else 'day' end as period_kind,
        coalesce(strftime(day, '%Y-%m-%d'), strftime(month, '%Y-%m')) as period,
        * exclude (day, month)
    from grouped
)

select * from final order by period
"""

COST_BY_CURRENCY_SQL = """
with source as (
    select *, date_trunc('month', day)::date as month
    from daily_summary
    where estimated_cost is not null
),

grouped as (
    select day, month, currency, sum(estimated_cost) as estimated_cost
    from source
    group by grouping sets ((day, currency), (month, currency))
),

final as (
    select
        coalesce(strftime(day, '%Y-%m-%d'), strftime(month, '%Y-%m')) as period,
        currency,
        estimated_cost
    from grouped
)

select * from final order by period, estimated_cost desc
"""

VIOLATIONS_BY_BUSINESS_NUMBER_SQL = """
with source as (
    select *, date_trunc('month', day)::date as month from daily_summary
),

grouped as (
    select
        day,
        month,
        business_number,
        sum(outbound_messages) as outbound_messages,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(marketing_opt_out_warnings) as marketing_opt_out_warnings
    from source
    group by grouping sets ((day, business_number), (month, business_number))
),

final as (
    select
        coalesce(strftime(day, '%Y-%m-%d'), strftime(month, '%Y-%m')) as period,
        business_number,
        outbound_messages,
        session_outside_window,
        template_without_opt_in,
        session_outside_window + template_without_opt_in as violations,
        marketing_opt_out_warnings
    from grouped
    where (day is null or day >= $first_day)
        and session_outside_window + template_without_opt_in + marketing_opt_out_warnings > 0
)

select * from final
order by period, violations desc, marketing_opt_out_warnings desc, business_number
"""

# Large tables (message_facts and its views, pricing_reconciliation) are read once, grouped by
# day; months are sums of those day rows, so the second grouping reads days, not messages.
VIOLATIONS_BY_TEMPLATE_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        kind,
        template_name,
        template_category,
        violation
    from violations
),

by_day as (
    select
        day,
        kind,
        template_name,
        template_category,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in,
        count(*) as violations
    from source
    group by all
),

by_month as (
    select
        date_trunc('month', day)::date as month,
        kind,
        template_name,
        template_category,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(violations) as violations
    from by_day
    group by all
),

final as (
    select strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from by_day
    where day >= $first_day
    union all by name
    select strftime(month, '%Y-%m') as period, * exclude (month)
    from by_month
)

select * from final order by period, violations desc, template_name
"""

VIOLATIONS_BY_CATEGORY_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        case when kind = 'template' then template_category else 'service' end as category,
        violation
    from violations
),

by_day as (
    select
        day,
        category,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in,
        count(*) as violations
    from source
    group by all
),

by_month as (
    select
        date_trunc('month', day)::date as month,
        category,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(violations) as violations
    from by_day
    group by all
),

final as (
    select strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from by_day
    where day >= $first_day
    union all by name
    select strftime(month, '%Y-%m') as period, * exclude (month)
    from by_month
)

select * from final order by period, violations desc, category
"""

# The latest rows per period with max_by(..., n): a top-n per group, no sort of all violations.
LATEST_VIOLATIONS_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        struct_pack(
            sent_local := strftime(timezone($time_zone, sent_at), '%Y-%m-%d %H:%M'),
            sent_at,
            message_id,
            business_number,
            contact,
            kind,
            template_name,
            template_category,
            violation,
            status
        ) as listed,
        sent_at
    from violations
),

latest_by_day as (
    select strftime(day, '%Y-%m-%d') as period, max_by(listed, sent_at, $row_limit) as latest
    from source
    where day >= $first_day
    group by day
),

latest_by_month as (
    select
        strftime(date_trunc('month', day), '%Y-%m') as period,
        max_by(listed, sent_at, $row_limit) as latest
    from source
    group by all
),

final as (
    select period, unnest(latest, recursive := true)
    from (select * from latest_by_day union all select * from latest_by_month)
)

select * from final order by period, sent_at desc, message_id
"""

COST_BY_MARKET_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        coalesce(market, 'Unknown market') as market,
        priced_category,
        currency,
        billable,
        estimated_cost
    from message_facts
),

by_day as (
    select
        day,
        market,
        priced_category,
        currency,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(billable and estimated_cost is null) as cost_unknown_messages
    from source
    group by all
),

by_month as (
    select
        date_trunc('month', day)::date as month,
        market,
        priced_category,
        currency,
        sum(outbound_messages) as outbound_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        sum(cost_unknown_messages) as cost_unknown_messages
    from by_day
    group by all
),

final as (
    select strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from by_day
    where day >= $first_day
    union all by name
    select strftime(month, '%Y-%m') as period, * exclude (month)
    from by_month
)

select * from final order by period, estimated_cost desc nulls last, market, priced_category
"""

# Aggregate first, then unpivot the handful of aggregate rows: unpivoting the facts themselves
# would multiply the scanned rows by the number of regimes.
REGIME_COMPARISON_SQL = """
with source as (
    select timezone($time_zone, sent_at)::date as day, *
    from message_facts
),

by_day as (
    select
        day,
        currency,
        count_if(regime = 'session_2019') as in_force_session_2019,
        count_if(billable_session_2019) as chargeable_session_2019,
        sum(estimated_cost_session_2019) as cost_session_2019,
        count_if(billable_session_2019 and estimated_cost_session_2019 is null)
            as unknown_session_2019,
        count_if(regime = 'conversation_2022') as in_force_conversation_2022,
        count_if(billable_conversation_2022) as chargeable_conversation_2022,
        sum(estimated_cost_conversation_2022) as cost_conversation_2022,
        count_if(billable_conversation_2022 and estimated_cost_conversation_2022 is null)
            as unknown_conversation_2022,
        count_if(regime = 'conversation_2023') as in_force_conversation_2023,
        count_if(billable_conversation_2023) as chargeable_conversation_2023,
        sum(estimated_cost_conversation_2023) as cost_conversation_2023,
        count_if(billable_conversation_2023 and estimated_cost_conversation_2023 is null)
            as unknown_conversation_2023,
        count_if(regime = 'per_message_2025') as in_force_per_message_2025,
        count_if(billable_per_message_2025) as chargeable_per_message_2025,
        sum(estimated_cost_per_message_2025) as cost_per_message_2025,
        count_if(billable_per_message_2025 and estimated_cost_per_message_2025 is null)
            as unknown_per_message_2025,
        count_if(regime = 'per_message_2026_10') as in_force_per_message_2026_10,
        count_if(billable_per_message_2026_10) as chargeable_per_message_2026_10,
        sum(estimated_cost_per_message_2026_10) as cost_per_message_2026_10,
        count_if(billable_per_message_2026_10 and estimated_cost_per_message_2026_10 is null)
            as unknown_per_message_2026_10
    from source
    group by all
),

by_month as (
    select
        date_trunc('month', day)::date as month,
        currency,
        sum(columns(* exclude (day, currency)))
    from by_day
    group by all
),

recent as (
    select strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from by_day
    where day >= $first_day
    union all by name
    select strftime(month, '%Y-%m') as period, * exclude (month)
    from by_month
),

per_regime as (
    unpivot recent
    on
        (in_force_session_2019, chargeable_session_2019, cost_session_2019,
            unknown_session_2019) as session_2019,
        (in_force_conversation_2022, chargeable_conversation_2022, cost_conversation_2022,
            unknown_conversation_2022) as conversation_2022,
        (in_force_conversation_2023, chargeable_conversation_2023, cost_conversation_2023,
            unknown_conversation_2023) as conversation_2023,
        (in_force_per_message_2025, chargeable_per_message_2025, cost_per_message_2025,
            unknown_per_message_2025) as per_message_2025,
        (in_force_per_message_2026_10, chargeable_per_message_2026_10,
            cost_per_message_2026_10, unknown_per_message_2026_10) as per_message_2026_10
    into name regime value messages_in_force, chargeable_messages, estimated_cost,
        cost_unknown_messages
),

final as (
    select period, regime, currency, messages_in_force, chargeable_messages, estimated_cost,
        cost_unknown_messages
    from per_regime
)

select * from final order by period, currency nulls last
"""

RECONCILIATION_SQL = """
with source as (
    select timezone($time_zone, sent_at)::date as day, agrees
    from pricing_reconciliation
),

by_day as (
    select day, count(*) as compared_messages, count_if(agrees) as agreeing_messages
    from source
    group by day
),

by_month as (
    select
        date_trunc('month', day)::date as month,
        sum(compared_messages) as compared_messages,
        sum(agreeing_messages) as agreeing_messages
    from by_day
    group by all
),

both_periods as (
    select strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from by_day
    where day >= $first_day
    union all by name
    select strftime(month, '%Y-%m') as period, * exclude (month)
    from by_month
),

final as (
    select
        period,
        compared_messages,
        agreeing_messages,
        compared_messages - agreeing_messages as disagreeing_messages
    from both_periods
)

select * from final order by period
"""

DISAGREEMENTS_BY_KIND_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        coalesce(disagreement, 'unspecified') as disagreement
    from pricing_reconciliation
    where not agrees
),

by_day as (
    select day, disagreement, count(*) as messages
    from source
    group by all
),

by_month as (
    select date_trunc('month', day)::date as month, disagreement, sum(messages) as messages
    from by_day
    group by all
),

final as (
    select strftime(day, '%Y-%m-%d') as period, disagreement, messages
    from by_day
    where day >= $first_day
    union all
    select strftime(month, '%Y-%m') as period, disagreement, messages
    from by_month
)

select * from final order by period, messages desc, disagreement
"""

LATEST_DISAGREEMENTS_SQL = """
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        struct_pack(
            sent_local := strftime(timezone($time_zone, sent_at), '%Y-%m-%d %H:%M'),
            sent_at,
            message_id,
            business_number,
            contact,
            regime,
            estimated_billable,
            estimated_category,
            meta_billable,
            meta_category,
            meta_pricing_type,
            meta_pricing_model,
            disagreement
        ) as listed,
        sent_at
    from pricing_reconciliation
    where not agrees
),

latest_by_day as (
    select strftime(day, '%Y-%m-%d') as period, max_by(listed, sent_at, $row_limit) as latest
    from source
    where day >= $first_day
    group by day
),

latest_by_month as (
    select
        strftime(date_trunc('month', day), '%Y-%m') as period,
        max_by(listed, sent_at, $row_limit) as latest
    from source
    group by all
),

final as (
    select period, unnest(latest, recursive := true)
    from (select * from latest_by_day union all select * from latest_by_month)
)

select * from final order by period, sent_at desc, message_id
"""

MISSING_CATEGORIES_SQL = """
with source as (
    select timezone($time_zone, sent_at)::date as day, template_name
    from message_facts
    where category_missing
),

by_day as (
    select day, template_name, count(*) as messages
    from source
    group by all
),

by_month as (
    select date_trunc('month', day)::date as month, template_name, sum(messages) as messages
    from by_day
    group by all
),

final as (
    select strftime(day, '%Y-%m-%d') as period, template_name, messages
    from by_day
    where day >= $first_day
    union all
    select strftime(month, '%Y-%m') as period, template_name, messages
    from by_month
)

select * from final order by period, messages desc, template_name
"""

# Quarantined rows belong to files, not to days of traffic, so every report shows them all.
QUARANTINE_SQL = """
with source as (
    select kind, reason, file, quarantined_at from quarantine
),

final as (
    select
        kind,
        reason,
        count(*) as quarantined_rows,
        count(distinct file) as files,
        max(quarantined_at) as last_quarantined_at
    from source
    group by kind, reason
)

select * from final order by quarantined_rows desc, kind, reason
"""

LOAD_STATUS_SQL = """
with source as (
    select * from load_log
),

final as (
    select
        count(*) filter (where outcome = 'loaded') as files_loaded,
        count(*) filter (where outcome = 'failed') as files_failed,
        coalesce(sum(rows_read), 0) as rows_read,
        coalesce(sum(quarantined), 0) as rows_quarantined,
        strftime(timezone($time_zone, max(finished_at)), '%Y-%m-%d %H:%M') as last_load
    from source
)

select * from final
"""


@dataclass(frozen=True)
class ReportAggregates:
    """Everything the reports show, keyed by period ('2025-03-03' for a day, '2025-03' a month)."""

    headline: dict[str, dict[str, Any]]
    cost_by_currency: dict[str, list[dict[str, Any]]]
    violations_by_business_number: dict[str, list[dict[str, Any]]]
    violations_by_template: dict[str, list[dict[str, Any]]]
    violations_by_category: dict[str, list[dict[str, Any]]]
    latest_violations: dict[str, list[dict[str, Any]]]
    cost_by_market: dict[str, list[dict[str, Any]]]
    regime_comparison: dict[str, list[dict[str, Any]]]
    reconciliation: dict[str, dict[str, Any]]
    disagreements_by_kind: dict[str, list[dict[str, Any]]]
    latest_disagreements: dict[str, list[dict[str, Any]]]
    missing_categories: dict[str, list[dict[str, Any]]]
    quarantine: list[dict[str, Any]]
    load_status: dict[str, Any]


def _parameters_for(query: str, values: Mapping[str, Any]) -> dict[str, Any]:
    # DuckDB refuses named parameters a statement does not use, so pass only the ones it names.
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", query))}


def rows(
    con: duckdb.DuckDBPyConnection, query: str, values: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a query as dicts, fully drained."""
    result = con.execute(query, _parameters_for(query, values or {}))
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _by_period(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        grouped[row["period"]].append(row)
    return dict(grouped)


def _masked(found: list[dict[str, Any]], visible_digits: int) -> list[dict[str, Any]]:
    # The whole customer number never leaves this module: reports get the masked form only.
    masked = []
    for row in found:
        contact = row.pop("contact")
        masked.append({**row, "masked_contact": masked_contact(contact, visible_digits)})
    return masked


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[str]:
    """Those of the named tables or views the warehouse does not have (yet)."""
    return [row["table_name"] for row in rows(con, MISSING_TABLES_SQL, {"names": list(names)})]


def report_days(con: duckdb.DuckDBPyConnection, day_count: int) -> list[date]:
    """The latest `day_count` days that have any traffic, newest first."""
    return [row["day"] for row in rows(con, REPORT_DAYS_SQL, {"day_count": day_count})]


def report_aggregates(
    con: duckdb.DuckDBPyConnection, time_zone: str, first_day: date, visible_digits: int
) -> ReportAggregates:
    """Every aggregate the reports show: months in full, days from first_day on.

    The headline and cost-by-currency rows come from daily_summary, one row per day and business
    number already, so they keep every day: monthly reports draw a day-by-day trend from them.
    """
    values = {"time_zone": time_zone, "first_day": first_day, "row_limit": LISTED_ROWS}
    headline = rows(con, HEADLINE_SQL, values)
    reconciliation = rows(con, RECONCILIATION_SQL, values)
    return ReportAggregates(
        headline={row["period"]: row for row in headline},
        cost_by_currency=_by_period(rows(con, COST_BY_CURRENCY_SQL, values)),
        violations_by_business_number=_by_period(
            rows(con, VIOLATIONS_BY_BUSINESS_NUMBER_SQL, values)
        ),
        violations_by_template=_by_period(rows(con, VIOLATIONS_BY_TEMPLATE_SQL, values)),
        violations_by_category=_by_period(rows(con, VIOLATIONS_BY_CATEGORY_SQL, values)),
        latest_violations=_by_period(
            _masked(rows(con, LATEST_VIOLATIONS_SQL, values), visible_digits)
        ),
        cost_by_market=_by_period(rows(con, COST_BY_MARKET_SQL, values)),
        regime_comparison=_by_period(rows(con, REGIME_COMPARISON_SQL, values)),
        reconciliation={row["period"]: row for row in reconciliation},
        disagreements_by_kind=_by_period(rows(con, DISAGREEMENTS_BY_KIND_SQL, values)),
        latest_disagreements=_by_period(
            _masked(rows(con, LATEST_DISAGREEMENTS_SQL, values), visible_digits)
        ),
        missing_categories=_by_period(rows(con, MISSING_CATEGORIES_SQL, values)),
        quarantine=quarantine_summary(con, visible_digits),
        load_status=load_status(con, time_zone),
    )


def quarantine_summary(con: duckdb.DuckDBPyConnection, visible_digits: int) -> list[dict[str, Any]]:
    """Quarantined rows by kind and reason over every load; numbers in reasons masked."""
    return [
        {**row, "reason": masked_numbers_in_text(row["reason"], visible_digits)}
        for row in rows(con, QUARANTINE_SQL)
    ]


def load_status(con: duckdb.DuckDBPyConnection, time_zone: str) -> dict[str, Any]:
    """Files loaded and failed, rows read and quarantined, and when the last load finished."""
    return rows(con, LOAD_STATUS_SQL, {"time_zone": time_zone})[0]
