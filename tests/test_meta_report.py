"""The monthly report sets Meta's figures beside the estimate; the index shows the difference."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from rows import insert_messages, template

from analytics.ingest import ingest_file
from analytics.rebuild import rebuild_warehouse
from reports.render import render_reports

BUSINESS = "31201234567"
MAY_4 = 1777852800  # 2026-05-04 00:00 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def point(category: str, country: str, volume: int, cost: float) -> dict:
    return {
        "start": MAY_4,
        "end": MAY_4 + 86400,
        "phone_number": BUSINESS,
        "country": country,
        "pricing_type": "REGULAR",
        "pricing_category": category,
        "volume": volume,
        "cost": cost,
    }


def built(con, settings, tmp_path):
    con.executemany(
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at) values ('2026-04-01', 'Netherlands', ?, 'USD', ?, 0, 'test', "
        "now())",
        [["marketing", 0.1], ["utility", 0.02]],
    )
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
                        point("MARKETING", "NL", 3, 0.3),
                        point("UTILITY", "NL", 1, 0.02),
                        # Meta's own category: no estimate beside it
                        point("AUTHENTICATION_INTERNATIONAL", "IN", 2, 0.07),
                    ]
                }
            ]
        },
        "id": "waba1",
    }
    path = tmp_path / "pricing.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    ingest_file(con, path, settings)
    rebuild_warehouse(con, settings)
    return render_reports(con, tmp_path / "reports", settings)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_monthly_report_shows_metas_totals_and_largest_differences(con, settings, tmp_path):
    built(con, settings, tmp_path)
    monthly = (tmp_path / "reports" / "monthly" / "2026-05.html").read_text(encoding="utf-8")
    section = monthly[monthly.index('<section id="meta-figures">') :]
    section = section[: section.index("</section>")]
    text = text_of(section)
    assert "Meta's figures beside the estimate" in text
    assert 'data-cost-difference="0.070000"' in section
    assert "Messages (per-message pricing) 4 6 +2 $0.32 $0.39 +$0.07" in text
    # the one differing cell, and what it likely means
    assert 'data-country="IN" data-category="authentication_international"' in section
    assert "Meta prices these as authentication international" in text
    assert 'href="#meta-figures"' in monthly
    daily = (tmp_path / "reports" / "daily" / "2026-05-04.html").read_text(encoding="utf-8")
    assert 'id="meta-figures"' not in daily


def test_the_index_shows_the_months_difference(con, settings, tmp_path):
    built(con, settings, tmp_path)
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "Meta − estimate" in index
    assert re.search(r"data-meta-difference>\s*\+\$0\.07", index)
