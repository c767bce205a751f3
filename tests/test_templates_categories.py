"""A template send without a category takes the catalogue's category at its send time."""

from __future__ import annotations

from datetime import UTC, datetime

from rows import insert_messages, template

from analytics.db import fetch_all
from analytics.rebuild import materialize, write_rebuild_parameters
from analytics.steps import Step


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def insert_template_period(
    con, template_id, name, language, category, valid_from, valid_to, waba_id="waba1"
):
    con.execute(
        "insert into templates values (?, ?, ?, ?, ?, 'approved', ?, ?, 'category_update')",
        [waba_id, template_id, name, language, category, valid_from, valid_to],
    )


def categories(con, settings):
    write_rebuild_parameters(con, settings)
    materialize(con, Step("int_template_categories", "temp"))
    return fetch_all(
        con,
        "select message_id, log_category, catalogue_category, matched_by "
        "from int_template_categories order by message_id",
    )


def test_a_recategorised_template_gives_each_send_the_category_of_its_date(con, settings):
    insert_template_period(con, "111", "order_update", "en_US", "utility", None, utc(2026, 5, 4))
    insert_template_period(con, "111", "order_update", "en_US", "marketing", utc(2026, 5, 4), None)
    insert_messages(
        con,
        [
            template("before", utc(2026, 5, 3, 12), category=None, name="order_update"),
            template("after", utc(2026, 5, 4, 12), category=None, name="order_update"),
            # the log's own category is kept beside Meta's
            template("declared", utc(2026, 5, 5), category="utility", name="order_update"),
            template("unknown", utc(2026, 5, 5), category=None, name="not_in_catalogue"),
            template(
                "other_account",
                utc(2026, 5, 5),
                category=None,
                name="order_update",
                waba_id="waba2",
            ),
        ],
    )
    assert categories(con, settings) == [
        ("after", None, "marketing", "name"),
        ("before", None, "utility", "name"),
        ("declared", "utility", "marketing", "name"),
    ]


def test_id_beats_name_and_language_and_languages_that_disagree_match_nothing(con, settings):
    insert_template_period(con, "111", "welcome", "en_US", "utility", None, None)
    insert_template_period(con, "222", "welcome", "nl", "marketing", None, None)
    insert_messages(
        con,
        [
            template("by_name", utc(2026, 5, 5), category=None, name="welcome"),
            template("by_id", utc(2026, 5, 5), category=None, name="welcome"),
            template("by_language", utc(2026, 5, 5), category=None, name="welcome"),
        ],
    )
    con.execute("update messages set template_id = '222' where message_id = 'by_id'")
    con.execute("update messages set template_language = 'EN_us' where message_id = 'by_language'")
    assert categories(con, settings) == [
        ("by_id", None, "marketing", "template_id"),
        ("by_language", None, "utility", "name_language"),
    ]
