"""Load message logs, webhook bodies, opt-in ledgers and rate cards into the warehouse.

Every file is loaded in one transaction, set-based in DuckDB: read as text, checked in SQL
(analytics/sql/ingest/), bad rows to `quarantine` with a reason, good rows merged, and one
`load_log` row whose counts add up (rows read = loaded + duplicates + quarantined + skipped).
A file already loaded (same content) is not read again; a file that cannot be read at all
raises IngestError naming it and leaves the warehouse as it was.

One module per job: files (which files; each read once, its head kept), hashing (the hash of
that one read on a thread beside its line scan), staging (a file read into temporary tables),
context (what a loader is given, and the quarantine), message_logs, phones (E.164), webhooks,
providers (Twilio, Gupshup, Infobip), graph_api and templates (Meta's own figures and template
catalogue), ledgers, rate_cards and meta_rate_cards, load_log, retry (--retry-quarantine), and
loading (the kinds of file, and one file's transaction). Each loader takes a LoadContext and
recognises its own kind of file from its head (loading.FILE_KINDS).
"""

from analytics.ingest.context import LoadContext
from analytics.ingest.errors import IngestError
from analytics.ingest.files import DATA_SUFFIXES, file_sha256
from analytics.ingest.ledgers import LEDGER_COLUMNS
from analytics.ingest.load_log import FileLoad, IngestResult
from analytics.ingest.loading import KINDS, LOADERS, detect_kind, ingest_file, ingest_paths
from analytics.ingest.message_logs import REQUIRED_MESSAGE_COLUMNS, WEBHOOK_ONLY_COLUMNS
from analytics.ingest.rate_cards import RATE_CARD_COLUMNS
from analytics.ingest.retry import retry_quarantine

__all__ = [
    "DATA_SUFFIXES",
    "KINDS",
    "LEDGER_COLUMNS",
    "LOADERS",
    "RATE_CARD_COLUMNS",
    "REQUIRED_MESSAGE_COLUMNS",
    "WEBHOOK_ONLY_COLUMNS",
    "FileLoad",
    "IngestError",
    "IngestResult",
    "LoadContext",
    "detect_kind",
    "file_sha256",
    "ingest_file",
    "ingest_paths",
    "retry_quarantine",
]
