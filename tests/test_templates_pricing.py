"""Through the whole rebuild: a re-categorised template is priced by the category of each send's
date, and Meta's figures are set beside the estimate in cost_reconciliation and the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from rows import insert_messages, template

from analytics.db import fetch_all
from analytics.ingest import ingest_file
from analytics.rebuild import rebuild_warehouse

NL = "31612345678"
BUSINESS = "31201234567"
CHANGED = 1777852800  # 2026-05-04 00:00 UTC: order_update becomes marketing


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def add_rates(con) -> None:
    con.executemany(
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at) values ('2026-04-01', 'Netherlands', ?, 'USD', ?, 0, 'test', "
        "now())",
        [["marketing", 0.1], ["utility", 0.02], ["authentication", 0.03]],
    )


def category_update(tmp_path: Path) -> Path:
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "waba1",
                "time": CHANGED,
                "changes": [
                    {
                        "field": "template_category_update",
                        "value": {
                            "message_template_id": 111,
                            "message_template_name": "order_update",
                            "message_template_language": "en_US",
                            "previous_category": "UTILITY",
                            "new_category": "MARKETING",
                        },
                    }
                ],
            }
        ],
    }
    path = tmp_path / "category_update.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_recategorised_template_is_priced_by_the_category_of_each_sends_date(
    con, settings, tmp_path
):
    add_rates(con)
    ingest_file(con, category_update(tmp_path), settings)
    insert_messages(
        con,
        [
            template("before", utc(2026, 5, 3, 12), category=None, name="order_update"),
            template("after", utc(2026, 5, 4, 12), category=None, name="order_update"),
            template("declared", utc(2026, 5, 5, 12), category="utility", name="order_update"),
            template("unknown", utc(2026, 5, 5, 13), category=None, name="not_listed"),
        ],
    )
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con,
        "select message_id, template_category, template_category_source, priced_category, "
        "estimated_cost, category_missing from message_facts order by sent_at",
    ) == [
        ("before", "utility", "catalogue", "utility", Decimal("0.020000"), False),
        ("after", "marketing", "catalogue", "marketing", Decimal("0.100000"), False),
        # the log's own category prices the send; Meta's differs and is listed
        ("declared", "utility", "log", "utility", Decimal("0.020000"), False),
        # not in the catalogue: no category, priced as marketing and counted
        ("unknown", None, "missing", "marketing", Decimal("0.100000"), True),
    ]
    assert fetch_all(
        con,
        "select message_id, template_name, log_category, meta_category "
        "from template_category_differences",
    ) == [("declared", "order_update", "utility", "marketing")]


def test_metas_export_is_set_beside_the_rebuilt_estimate(con, settings, tmp_path):
    add_rates(con)
    insert_messages(
        con,
        [
            *[template(f"m{n}", utc(2026, 5, 4, 9 + n), category="marketing") for n in range(3)],
            template("u1", utc(2026, 5, 4, 15), category="utility"),
        ],
    )
    export = {
        "pricing_analytics": {
            "data": [
                {
                    "data_points": [
                        {
                            "start": CHANGED + h * 1800,
                            "end": CHANGED + (h + 1) * 1800,
                            "phone_number": BUSINESS,
                            "country": "NL",
                            "pricing_type": "REGULAR",
                            "pricing_category": "MARKETING",
                            "tier": "0:MAX",
                            "volume": 1,
                            "cost": 0.1,
                        }
                        # Meta counted 4 marketing messages in four half hours: one no log has
                        for h in (18, 20, 22, 24)
                    ]
                    + [
                        {
                            "start": CHANGED + 30 * 1800,
                            "end": CHANGED + 31 * 1800,
                            "phone_number": BUSINESS,
                            "country": "NL",
                            "pricing_type": "REGULAR",
                            "pricing_category": "UTILITY",
                            "tier": "0:100000",
                            "volume": 1,
                            "cost": 0.02,
                        }
                    ]
                }
            ]
        },
        "id": "waba1",
    }
    path = tmp_path / "pricing.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    load = ingest_file(con, path, settings)
    assert load.loaded == 5
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con,
        "select day, granularity, charge_unit, business_number, country, pricing_category, "
        "pricing_type, estimated_volume, meta_volume, volume_difference, cost_difference "
        "from cost_reconciliation order by pricing_category",
    ) == [
        (
            utc(2026, 5, 4).date(),
            "daily",
            "message",
            BUSINESS,
            "NL",
            "marketing",
            "regular",
            3,
            4,
            1,
            Decimal("0.100000"),
        ),
        (
            utc(2026, 5, 4).date(),
            "daily",
            "message",
            BUSINESS,
            "NL",
            "utility",
            "regular",
            1,
            1,
            0,
            Decimal("0.000000"),
        ),
    ]
