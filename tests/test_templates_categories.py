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


def test_partitions_built_apart_take_the_same_catalogue_categories(con, settings, tmp_path):
    from analytics import partitions
    from analytics.db import connect_memory
    from analytics.rebuild import rebuild_warehouse

    def given(connection):
        insert_template_period(
            connection, "111", "order_update", "en_US", "utility", None, utc(2026, 5, 4)
        )
        insert_template_period(
            connection, "111", "order_update", "en_US", "marketing", utc(2026, 5, 4), None
        )
        insert_messages(
            connection,
            [
                template(
                    f"{contact}-{day}",
                    utc(2026, 5, day, 12),
                    category=None,
                    name="order_update",
                    contact=contact,
                )
                for contact in ("31611111111", "31622222222", "31633333333")
                for day in (3, 4)
            ]
            + [template("declared", utc(2026, 5, 5), category="utility", name="order_update")],
        )

    given(con)
    single = connect_memory(settings)
    given(single)
    rebuild_warehouse(single, settings)
    plan = partitions.plan_partitions(
        settings.with_overrides(rebuild_partitions=3), root=tmp_path / "partitions"
    )
    partitions.export_partitions(con, plan)
    for partition in range(plan.partitions):
        partitions.build_partition(plan, partition, settings)
    partitions.finish_rebuild(con, plan, settings)
    facts = (
        "select message_id, template_category, template_category_source, priced_category "
        "from message_facts order by message_id"
    )
    assert fetch_all(con, facts) == fetch_all(single, facts)
    assert {row[1:3] for row in fetch_all(con, facts)} == {
        ("utility", "catalogue"),
        ("marketing", "catalogue"),
        ("utility", "log"),
    }
    differences = "select message_id, meta_category from template_category_differences"
    assert (
        fetch_all(con, differences) == fetch_all(single, differences) == [("declared", "marketing")]
    )
    single.close()
