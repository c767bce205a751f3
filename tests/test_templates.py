"""The template catalogue: lists (snapshots) and category-update webhooks into category periods."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from analytics.db import fetch_all, fetch_value
from analytics.ingest import detect_kind, ingest_file

T_UPDATE = 1777852800  # 2026-05-04 00:00 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def listed(
    template_id="111", name="order_update", category="UTILITY", language="en_US", status="APPROVED"
) -> dict:
    return {
        "name": name,
        "language": language,
        "status": status,
        "category": category,
        "id": template_id,
    }


def template_list(*templates: dict) -> dict:
    return {"data": list(templates), "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}


def category_update(
    at: int,
    previous="UTILITY",
    new="MARKETING",
    template_id=111,
    name="order_update",
    waba="WABA1",
    **extra,
) -> dict:
    value = {
        "message_template_id": template_id,
        "message_template_name": name,
        "message_template_language": "en_US",
        **extra,
    }
    if previous is not None:
        value["previous_category"] = previous
    value["new_category"] = new
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba,
                "time": at,
                "changes": [{"field": "template_category_update", "value": value}],
            }
        ],
    }


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def periods(con):
    return fetch_all(
        con,
        "select template_id, category, valid_from, valid_to, set_by from templates "
        "order by template_id, valid_from nulls first",
    )


def test_a_template_list_is_recognised_and_gives_categories_as_of_its_load(con, tmp_path, settings):
    path = write(
        tmp_path, "templates.json", template_list(listed(), listed("222", "promo_may", "MARKETING"))
    )
    assert detect_kind(path) == "message_templates"
    load = ingest_file(con, path, settings)
    assert (load.kind, load.rows_read, load.loaded, load.quarantined) == (
        "message_templates",
        2,
        2,
        0,
    )
    # one snapshot: each template has had its category since always
    assert periods(con) == [
        ("111", "utility", None, None, "snapshot"),
        ("222", "marketing", None, None, "snapshot"),
    ]
    assert fetch_value(con, "select status from templates where template_id = '111'") == "approved"


def test_the_field_expansion_names_the_account(con, tmp_path, settings):
    body = {"message_templates": template_list(listed()), "id": "102290129340398"}
    path = write(tmp_path, "expanded.json", body)
    assert detect_kind(path) == "message_templates"
    ingest_file(con, path, settings)
    assert fetch_value(con, "select waba_id from templates") == "102290129340398"


def test_a_category_update_splits_the_period_at_its_entry_time(con, tmp_path, settings):
    ingest_file(
        con, write(tmp_path, "list.json", template_list(listed(category="MARKETING"))), settings
    )
    load = ingest_file(con, write(tmp_path, "hook.json", category_update(T_UPDATE)), settings)
    assert (load.kind, load.rows_read, load.loaded, load.skipped) == ("webhook", 1, 1, 0)
    observed = fetch_value(con, "select observed_at from template_snapshots")
    # utility until the change, marketing from then on (the later list agrees)
    assert periods(con) == [
        ("111", "utility", None, utc(2026, 5, 4), "category_update"),
        ("111", "marketing", utc(2026, 5, 4), None, "category_update"),
    ]
    assert observed > utc(2026, 5, 4)


def test_files_in_either_order_give_the_same_periods(con, tmp_path, settings):
    hook = write(tmp_path, "hook.json", category_update(T_UPDATE))
    back = write(
        tmp_path,
        "back.json",
        category_update(T_UPDATE + 86400, previous="MARKETING", new="UTILITY"),
    )
    ingest_file(con, back, settings)
    ingest_file(con, hook, settings)
    assert periods(con) == [
        ("111", "utility", None, utc(2026, 5, 4), "category_update"),
        ("111", "marketing", utc(2026, 5, 4), utc(2026, 5, 5), "category_update"),
        ("111", "utility", utc(2026, 5, 5), None, "category_update"),
    ]
    again = ingest_file(
        con, write(tmp_path, "hook-copy.json", [category_update(T_UPDATE)]), settings
    )
    assert (again.loaded, again.duplicates) == (0, 1)
    assert fetch_value(con, "select count(*) from template_category_updates") == 2


def test_an_impending_notice_is_kept_but_sets_no_period(con, tmp_path, settings):
    notice = category_update(
        T_UPDATE,
        previous=None,
        new="UTILITY",
        correct_category="MARKETING",
        category_update_timestamp=T_UPDATE + 86400,
    )
    load = ingest_file(con, write(tmp_path, "notice.json", notice), settings)
    assert load.loaded == 1
    assert fetch_all(
        con,
        "select notice, new_category, correct_category, category_update_at "
        "from template_category_updates",
    ) == [("impending", "utility", "marketing", utc(2026, 5, 5))]
    assert periods(con) == []


def test_bad_templates_and_updates_are_quarantined_with_a_reason(con, tmp_path, settings):
    listing = template_list(
        listed(),
        listed("333", category="TRANSACTIONAL"),
        {"name": "no_id", "language": "en", "category": "UTILITY"},
    )
    load = ingest_file(con, write(tmp_path, "list.json", listing), settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (3, 1, 2)
    hooks = [category_update(T_UPDATE, new="PROMOTIONAL"), category_update(None)]
    load = ingest_file(
        con, write(tmp_path, "hooks.jsonl", "\n".join(json.dumps(h) for h in hooks)), settings
    )
    assert (load.rows_read, load.loaded, load.quarantined) == (2, 0, 2)
    assert sorted(r for (r,) in fetch_all(con, "select reason from quarantine")) == [
        "a category is not marketing, utility or authentication",
        "category transactional is not marketing, utility or authentication",
        "no template id",
        "the entry has no time (Unix seconds)",
    ]


def test_a_category_update_beside_statuses_in_one_body_loads_both(con, tmp_path, settings):
    body = category_update(T_UPDATE)
    body["entry"][0]["changes"].append(
        {
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "31201234567", "phone_number_id": "P1"},
                "statuses": [
                    {
                        "id": "wamid.X1",
                        "status": "delivered",
                        "timestamp": str(T_UPDATE),
                        "recipient_id": "31612345678",
                    }
                ],
            },
        }
    )
    load = ingest_file(con, write(tmp_path, "mixed.json", body), settings)
    assert (load.rows_read, load.loaded, load.quarantined, load.skipped) == (2, 2, 0, 0)
    assert fetch_value(con, "select count(*) from messages") == 1
