"""A small hand-written warehouse for report tests: the derived tables, created directly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from analytics.config import Settings
from analytics.rebuild import materialize, write_rebuild_parameters
from analytics.regimes import regime_names, write_pricing_regimes
from analytics.steps import Step

REGIMES = regime_names()
IN_FORCE = "conversation_2023"  # February and March 2025

NL_LINE = "31201234567"  # business numbers are the company's own and stay whole
UK_LINE = "442071234567"

ANNA = "31612345678"  # shown as +31 6 ****5678
BEN = "447911123456"
CARLA = "5511987654321"  # Brazil: the example rate card has no rate, so cost unknown
DEV = "919876543210"
EVE = "14155552671"
CUSTOMERS = (ANNA, BEN, CARLA, DEV, EVE)
MARKETS = {
    ANNA: "Netherlands",
    BEN: "United Kingdom",
    CARLA: "Brazil",
    DEV: "India",
    EVE: "North America",
}

MARKUP_TEMPLATE = "<script>alert(1)</script>"
QUARANTINED_NUMBER = "31699999999"  # in a quarantine reason; must be masked in reports

MESSAGE_FACTS_COLUMNS = (
    "message_id varchar",
    "business_number varchar",
    "contact varchar",
    "sent_at timestamptz",
    "kind varchar",
    "template_name varchar",
    "template_category varchar",
    "status varchar",
    "window_id varchar",
    "in_window boolean",
    "window_closes_at timestamptz",
    "opt_in_active boolean",
    "violation varchar",
    "marketing_opt_out_warning boolean",
    "regime varchar",
    "billable boolean",
    "charge_unit varchar",
    "conversation_id varchar",
    "market varchar",
    "estimated_cost decimal(18, 6)",
    "currency varchar",
    "meta_billable boolean",
    "meta_pricing_type varchar",
    "meta_category varchar",
    "priced_category varchar",
    "category_missing boolean",
    "cost_known boolean",
    *(
        column
        for regime in REGIMES
        for column in (
            f"billable_{regime} boolean",
            f"conversation_id_{regime} varchar",
            f"estimated_cost_{regime} decimal(18, 6)",
        )
    ),
)

RATES = {  # USD per chargeable message, by market and priced category (made up for tests)
    ("Netherlands", "marketing"): Decimal("0.1100"),
    ("Netherlands", "utility"): Decimal("0.0200"),
    ("United Kingdom", "marketing"): Decimal("0.0529"),
    ("United Kingdom", "utility"): Decimal("0.0220"),
    ("India", "authentication"): Decimal("0.0014"),
    ("North America", "utility"): Decimal("0.0040"),
}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def fact(
    message_id: str,
    sent_at: datetime,
    contact: str,
    *,
    line: str = NL_LINE,
    kind: str = "session",
    template_name: str | None = None,
    template_category: str | None = None,
    status: str = "delivered",
    in_window: bool = True,
    opt_in_active: bool | None = None,
    violation: str | None = None,
    marketing_opt_out_warning: bool = False,
    billable: bool = False,
    meta: tuple | None = None,
) -> dict:
    """One outbound message as message_facts holds it; the regime columns follow the verdict."""
    category_missing = kind == "template" and template_category is None
    priced_category = (
        "service" if kind == "session" else ("marketing" if category_missing else template_category)
    )
    market = MARKETS[contact]
    rate = RATES.get((market, priced_category))
    cost = rate if billable and rate is not None else None
    meta_billable, meta_pricing_type, meta_category = meta or (None, None, None)
    row = {
        "message_id": message_id,
        "business_number": line,
        "contact": contact,
        "sent_at": sent_at,
        "kind": kind,
        "template_name": template_name,
        "template_category": template_category,
        "status": status,
        "window_id": f"w-{contact}-{sent_at:%m%d}" if in_window else None,
        "in_window": in_window,
        "window_closes_at": None,
        "opt_in_active": opt_in_active,
        "violation": violation,
        "marketing_opt_out_warning": marketing_opt_out_warning,
        "regime": IN_FORCE,
        "billable": billable,
        "charge_unit": "conversation" if billable else None,
        "conversation_id": f"c-{message_id}" if billable else None,
        "market": market,
        "estimated_cost": cost if billable else Decimal(0),
        "currency": "USD",
        "meta_billable": meta_billable,
        "meta_pricing_type": meta_pricing_type,
        "meta_category": meta_category,
        "priced_category": priced_category,
        "category_missing": category_missing,
        "cost_known": rate is not None or not billable,
    }
    delivered = status != "failed"
    what_if = {
        "session_2019": delivered and kind == "template" and not in_window,
        "conversation_2022": billable,
        "conversation_2023": billable,
        "per_message_2025": delivered
        and kind == "template"
        and (priced_category != "utility" or not in_window),
        "per_message_2026_10": delivered and kind == "template",
    }
    for regime, chargeable in what_if.items():
        row[f"billable_{regime}"] = chargeable
        row[f"conversation_id_{regime}"] = f"{regime}-{message_id}" if chargeable else None
        row[f"estimated_cost_{regime}"] = (
            (rate if rate is not None else None) if chargeable else Decimal(0)
        )
    return row


def template(message_id, sent_at, contact, name, category, **kwargs) -> dict:
    return fact(
        message_id,
        sent_at,
        contact,
        kind="template",
        template_name=name,
        template_category=category,
        **kwargs,
    )


MESSAGE_FACTS = [
    # Wednesday 26 February
    template("f01", at(26, 9, month=2), ANNA, "order_update", "utility", billable=True),
    fact("f02", at(26, 9, 5, month=2), ANNA),
    template(
        "f03",
        at(26, 10, month=2),
        BEN,
        "spring_sale",
        "marketing",
        in_window=False,
        opt_in_active=True,
        billable=True,
        meta=(True, "regular", "marketing"),
    ),
    # Thursday 27 February
    template(
        "f04",
        at(27, 11, month=2),
        CARLA,
        "spring_sale",
        "marketing",
        in_window=False,
        opt_in_active=False,
        violation="template_without_opt_in",
        billable=True,
    ),
    fact(
        "f05",
        at(27, 12, month=2),
        BEN,
        line=UK_LINE,
        in_window=False,
        status="failed",
        violation="session_outside_window",
    ),
    # Friday 28 February
    template(
        "f06",
        at(28, 8, month=2),
        DEV,
        "login_code",
        "authentication",
        line=UK_LINE,
        in_window=False,
        opt_in_active=True,
        billable=True,
        meta=(True, "regular", "authentication"),
    ),
    template(
        "f07",
        at(28, 13, month=2),
        ANNA,
        "legacy_notice",
        None,
        in_window=False,
        opt_in_active=True,
        billable=True,
    ),
    # Saturday 1 March
    template(
        "f08",
        at(1, 9),
        ANNA,
        MARKUP_TEMPLATE,
        "marketing",
        in_window=False,
        opt_in_active=False,
        violation="template_without_opt_in",
        billable=True,
    ),
    fact("f09", at(1, 10), EVE),
    # Sunday 2 March: customers wrote, nobody answered (inbound only)
    # Monday 3 March
    fact("f10", at(3, 9, 30), ANNA),
    template(
        "f11",
        at(3, 10),
        BEN,
        "order_update",
        "utility",
        billable=True,
        meta=(False, "free_customer_service", "service"),
    ),
    fact("f12", at(3, 14), BEN, line=UK_LINE, in_window=False, violation="session_outside_window"),
    template(
        "f13",
        at(3, 15),
        CARLA,
        "spring_sale",
        "marketing",
        marketing_opt_out_warning=True,
        billable=True,
    ),
    template(
        "f14",
        at(3, 16),
        DEV,
        "login_code",
        "authentication",
        line=UK_LINE,
        billable=True,
        meta=(True, "regular", "authentication"),
    ),
    # Tuesday 4 March
    template(
        "f15",
        at(4, 9),
        ANNA,
        MARKUP_TEMPLATE,
        "marketing",
        in_window=False,
        opt_in_active=False,
        violation="template_without_opt_in",
        billable=True,
        meta=(True, "regular", "marketing"),
    ),
    fact("f16", at(4, 11), EVE),
    template(
        "f17",
        at(4, 12),
        BEN,
        "order_update",
        "utility",
        line=UK_LINE,
        in_window=False,
        opt_in_active=True,
        billable=True,
        status="read",
        meta=(True, "regular", "marketing"),
    ),
    fact(
        "f18", at(4, 18), ANNA, in_window=False, status="failed", violation="session_outside_window"
    ),
]

# (business number, contact, opened_at, inbound messages, opened_by)
CARE_WINDOWS = [
    (NL_LINE, ANNA, at(26, 8, month=2), 2, "text"),
    (NL_LINE, BEN, at(25, 9, month=2), 1, "text"),
    (UK_LINE, DEV, at(27, 20, month=2), 1, "text"),
    (NL_LINE, EVE, at(1, 9), 3, "ad"),
    (NL_LINE, ANNA, at(2, 10), 1, "text"),
    (UK_LINE, BEN, at(2, 18), 2, "call"),
    (NL_LINE, ANNA, at(3, 9), 2, "text"),
    (NL_LINE, BEN, at(3, 9, 45), 1, "button"),
    (NL_LINE, CARLA, at(3, 14, 30), 1, "text"),
    (UK_LINE, DEV, at(3, 15, 50), 1, "text"),
    (NL_LINE, EVE, at(4, 10), 1, "text"),
]

# (message_id, estimated category, meta billable, meta pricing type, meta category, agrees,
#  disagreement)
RECONCILIATION = [
    ("f03", "marketing", True, "regular", "marketing", True, None),
    ("f06", "authentication", True, "regular", "authentication", True, None),
    ("f11", "utility", False, "free_customer_service", "service", False, "billable"),
    ("f14", "authentication", True, "regular", "authentication", True, None),
    ("f15", "marketing", True, "regular", "marketing", True, None),
    ("f17", "utility", True, "regular", "marketing", False, "category"),
]

QUARANTINE = [
    (
        1,
        "/data/inbox/log-2025-03-03.csv",
        17,
        "message_log",
        '{"timestamp": "yesterday"}',
        "timestamp is not a date or Unix seconds: 'yesterday'",
    ),
    (
        1,
        "/data/inbox/log-2025-03-03.csv",
        31,
        "message_log",
        '{"timestamp": "soon"}',
        "timestamp is not a date or Unix seconds: 'soon'",
    ),
    (
        2,
        "/data/inbox/webhooks.jsonl",
        4,
        "webhook",
        f'{{"from": "{QUARANTINED_NUMBER}x"}}',
        f"contact {QUARANTINED_NUMBER}x is not a phone number",
    ),
]

DAILY_SUMMARY_SQL = """
with outbound as (
    select
        timezone('UTC', sent_at)::date as day,
        business_number,
        count(*) as outbound_messages,
        count_if(in_window) as in_window,
        count_if(not in_window) as outside_window,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in,
        count_if(marketing_opt_out_warning) as marketing_opt_out_warnings,
        count_if(status = 'failed') as failed_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(billable and estimated_cost is null) as cost_unknown_messages,
        any_value(currency) as currency
    from message_facts
    group by all
),

inbound as (
    select
        timezone('UTC', opened_at)::date as day,
        business_number,
        sum(inbound_messages) as inbound_messages,
        count(*) as windows_opened
    from care_windows
    group by all
),

days as (
    select day, business_number from outbound
    union
    select day, business_number from inbound
)

select
    days.day,
    days.business_number,
    coalesce(inbound.inbound_messages, 0)::bigint as inbound_messages,
    coalesce(outbound.outbound_messages, 0) as outbound_messages,
    coalesce(inbound.windows_opened, 0) as windows_opened,
    coalesce(outbound.in_window, 0) as in_window,
    coalesce(outbound.outside_window, 0) as outside_window,
    coalesce(outbound.session_outside_window, 0) as session_outside_window,
    coalesce(outbound.template_without_opt_in, 0) as template_without_opt_in,
    coalesce(outbound.marketing_opt_out_warnings, 0) as marketing_opt_out_warnings,
    coalesce(outbound.failed_messages, 0) as failed_messages,
    coalesce(outbound.outbound_messages, 0) - coalesce(outbound.chargeable_messages, 0)
        as free_messages,
    coalesce(outbound.chargeable_messages, 0) as chargeable_messages,
    outbound.estimated_cost,
    coalesce(outbound.cost_unknown_messages, 0) as cost_unknown_messages,
    outbound.currency
from days
left join outbound using (day, business_number)
left join inbound using (day, business_number)
"""


def create_derived_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The derived tables and views reports read, with their public columns, empty."""
    con.execute(f"create table message_facts ({', '.join(MESSAGE_FACTS_COLUMNS)})")
    con.execute(
        "create table care_windows (business_number varchar, contact varchar, window_id varchar,"
        " opened_at timestamptz, closes_at timestamptz, inbound_messages bigint,"
        " outbound_messages bigint, opened_by varchar)"
    )
    con.execute("create view violations as select * from message_facts where violation is not null")
    con.execute(
        "create table pricing_reconciliation (message_id varchar, business_number varchar,"
        " contact varchar, sent_at timestamptz, regime varchar, estimated_billable boolean,"
        " meta_billable boolean, estimated_category varchar, meta_category varchar,"
        " meta_pricing_type varchar, meta_pricing_model varchar, agrees boolean,"
        " disagreement varchar)"
    )
    con.execute(f"create table daily_summary as select * from ({DAILY_SUMMARY_SQL}) where false")


def build_report_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Fill a migrated in-memory warehouse with the hand-written rows above."""
    create_derived_tables(con)
    names = [column.split()[0] for column in MESSAGE_FACTS_COLUMNS]
    con.executemany(
        f"insert into message_facts ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [[row[name] for name in names] for row in MESSAGE_FACTS],
    )
    con.executemany(
        "insert into care_windows values (?, ?, ?, ?, ?::timestamptz + interval 24 hour, ?, 0, ?)",
        [
            [line, contact, f"w{index}", opened_at, opened_at, inbound, opened_by]
            for index, (line, contact, opened_at, inbound, opened_by) in enumerate(CARE_WINDOWS)
        ],
    )
    con.executemany(
        "insert into pricing_reconciliation select message_id, business_number, contact, sent_at,"
        " regime, billable, ?, ?, ?, ?, 'CBP', ?, ? from message_facts where message_id = ?",
        [
            [meta_billable, category, meta_category, pricing_type, agrees, disagreement, mid]
            for (
                mid,
                category,
                meta_billable,
                pricing_type,
                meta_category,
                agrees,
                disagreement,
            ) in RECONCILIATION
        ],
    )
    con.execute("delete from daily_summary")
    con.execute(f"insert into daily_summary {DAILY_SUMMARY_SQL}")
    # message_billing and daily_costs by their own rebuild steps, from the facts above (days in
    # UTC), through the int_billing rows the facts' per-regime verdicts stand for
    write_rebuild_parameters(con, Settings())
    write_pricing_regimes(con, Settings())
    con.execute(
        "create temp table int_billing as "
        + " union all ".join(
            f"""select message_id, '{regime}' as regime, regime = '{regime}' as in_force,
                billable_{regime} as billable,
                case when billable_{regime} then 'chargeable' else 'inside_customer_service_window'
                    end as billing_reason,
                case when billable_{regime} then charge_unit end as charge_unit,
                conversation_id_{regime} as conversation_id, priced_category,
                priced_category as rate_category, estimated_cost_{regime} as estimated_cost,
                case when billable_{regime} then currency end as currency,
                case when billable_{regime} then 'illustrative example card' end as rate_card,
                not billable_{regime} or estimated_cost_{regime} is not null as cost_known,
                timezone('UTC', sent_at)::date as send_date, business_number, market
            from message_facts"""
            for regime in REGIMES
        )
    )
    materialize(con, Step("message_billing", "table", scope="account"))
    materialize(con, Step("daily_costs", "table", scope="account"))
    con.executemany(
        "insert into quarantine (load_id, file, line, kind, raw, reason, quarantined_at) "
        "values (?, ?, ?, ?, ?, ?, timestamptz '2025-03-05 02:00:00+00')",
        [list(row) for row in QUARANTINE],
    )
    con.executemany(
        "insert into load_log (load_id, file, file_sha256, kind, outcome, rows_read, loaded, "
        "duplicates, quarantined, skipped, detail, started_at, finished_at) "
        "values (?, ?, 'sha', ?, 'loaded', ?, ?, 0, ?, 0, null,"
        " timestamptz '2025-03-05 02:00:00+00', timestamptz '2025-03-05 02:00:05+00')",
        [
            [1, "/data/inbox/log-2025-03-03.csv", "message_log", 40, 38, 2],
            [2, "/data/inbox/webhooks.jsonl", "webhook", 12, 11, 1],
        ],
    )
