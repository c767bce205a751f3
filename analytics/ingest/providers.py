"""Logs and callbacks of Business Solution Providers: Twilio, Gupshup and Infobip.

Each is recognised by its content (recognises_*), and each format becomes the same events as
Cloud API webhooks (temp table `webhook_events`, SQL in analytics/sql/ingest/provider_*.sql)
and loads through webhooks.load_events with the same guarantees. 360dialog forwards Cloud API
bodies: they load as kind `webhook`.
"""

from __future__ import annotations

from analytics.ingest.context import LoadContext
from analytics.ingest.files import FileHead
from analytics.ingest.webhooks import load_events, stage_events

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


def recognises_twilio(head: FileHead) -> bool:
    """A Messages API resource or list page (JSON), or the Console's CSV export by its header."""
    if head.is_json:
        compact = head.compact
        return '"account_sid":' in compact and '"sid":"' in compact and '"from":"' in compact
    return head.is_csv and {"sid", "accountsid", "from", "to", "direction"} <= head.header_names


def recognises_gupshup(head: FileHead) -> bool:
    """Gupshup v2 callbacks: an `app`, `"version":2` and a `payload`."""
    compact = head.compact
    return (
        head.is_json
        and '"app":' in compact
        and '"version":2' in compact
        and '"payload":' in compact
    )


def recognises_infobip(head: FileHead) -> bool:
    """Infobip webhooks: `results[]` of WhatsApp messages, delivery or seen reports."""
    compact = head.compact
    return (
        head.is_json
        and '"results":[' in compact
        and (
            '"integrationType":"WHATSAPP"' in compact
            or ('"messageId":' in compact and ('"doneAt":' in compact or '"seenAt":' in compact))
        )
    )


def load_twilio(ctx: LoadContext) -> None:
    """Twilio Messages API resources and list pages (JSON), or the Console's CSV export."""
    if ctx.stage.format == "csv":
        ctx.stage.stage_csv_kind(
            "incoming_twilio",
            TWILIO_CONSOLE_COLUMNS,
            ("from", "to", "sid", "direction", "sentdate"),
            "Twilio message log",
        )
        stage_events(ctx, "ingest/provider_twilio_console")
    else:
        # a list page ({"messages": [...]}) or one message resource (GET /Messages/{sid}.json)
        ctx.stage.stage_bodies(body_key=("messages", "sid"))
        stage_events(ctx, "ingest/provider_twilio_api")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Twilio")


def load_gupshup(ctx: LoadContext) -> None:
    """Gupshup v2 callbacks, JSON Lines (or a JSON array of callbacks)."""
    ctx.stage.stage_bodies(body_key="app")
    stage_events(ctx, "ingest/provider_gupshup")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Gupshup v2")


def load_infobip(ctx: LoadContext) -> None:
    """Infobip WhatsApp webhooks: inbound messages, delivery reports and seen reports."""
    ctx.stage.stage_bodies(body_key="results")
    stage_events(ctx, "ingest/provider_infobip")
    load_events(ctx)
    ctx.stage.detail.insert(0, "Infobip")
