"""Logs and callbacks of Business Solution Providers (SPEC 2.4), recognised by content.

Each format becomes the same events as Cloud API webhooks (temp table `webhook_events`, SQL in
analytics/sql/ingest/provider_*.sql) and loads through webhooks.load_events with the same
guarantees. 360dialog forwards Cloud API bodies: they load as kind `webhook`.
"""

from __future__ import annotations

from analytics.ingest.context import LoadContext
from analytics.ingest.files import file_format
from analytics.ingest.webhooks import load_events, stage_bodies, stage_events

PROVIDER_KINDS = ("twilio", "gupshup", "infobip")
# The Twilio Console's message-log CSV: the columns read (matched ignoring case and spaces).
TWILIO_CONSOLE_COLUMNS = (
    "from",
    "to",
    "body",
    "status",
    "sentdate",
    "errorcode",
    "accountsid",
    "sid",
    "direction",
)


def load_twilio(ctx: LoadContext) -> None:
    """Twilio Messages API resources and list pages (JSON), or the Console's CSV export."""
    if file_format(ctx.stage.path) == "csv":
        ctx.stage.stage_csv_kind(
            "incoming_twilio",
            TWILIO_CONSOLE_COLUMNS,
            ("from", "to", "sid", "direction", "sentdate"),
            "Twilio message log",
        )
        stage_events(ctx, "ingest/provider_twilio_console")
    else:
        # a list page ({"messages": [...]}) or one message resource (GET /Messages/{sid}.json)
        stage_bodies(ctx, body_key=("messages", "sid"))
        stage_events(ctx, "ingest/provider_twilio_api")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Twilio")


def load_gupshup(ctx: LoadContext) -> None:
    """Gupshup v2 callbacks, JSON Lines (or a JSON array of callbacks)."""
    stage_bodies(ctx, body_key="app")
    stage_events(ctx, "ingest/provider_gupshup")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Gupshup v2")


def load_infobip(ctx: LoadContext) -> None:
    """Infobip WhatsApp webhooks: inbound messages, delivery reports and seen reports."""
    stage_bodies(ctx, body_key="results")
    stage_events(ctx, "ingest/provider_infobip")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Infobip")


LOADERS = {"twilio": load_twilio, "gupshup": load_gupshup, "infobip": load_infobip}
