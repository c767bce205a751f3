"""Settings: the defaults, the configuration file, and command-line overrides, validated once."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_ENV = "CAREWINDOW_CONFIG"
DEFAULT_CONFIG_FILE = "carewindow.toml"

CANONICAL_COLUMNS = (
    "message_id",
    "timestamp",
    "direction",
    "business_number",
    "contact",
    "type",
    "template_name",
    "template_category",
    "status",
    "referral_source",
    "waba_id",
    "contact_user_id",  # the customer's BSUID beside a phone number in `contact`
    # groups (Cloud API Groups API): the group a message was sent to or came from, and the
    # participant an outbound group message was delivered to (a log row per delivery)
    "group_id",
    "participant",
)
# The columns of CANONICAL_COLUMNS that only a log of group traffic has.
GROUP_COLUMNS = ("group_id", "participant")

DEFAULT_ALIASES: dict[str, list[str]] = {
    "message_id": ["id", "wamid", "msg_id", "messageid"],
    "timestamp": ["time", "ts", "sent_at", "created_at", "datetime", "date_time"],
    "direction": ["dir", "in_out"],
    "business_number": [
        "business_phone",
        "from_number",
        "display_phone_number",
        "business_phone_number",
    ],
    "contact": ["customer", "wa_id", "recipient", "recipient_id", "customer_number", "phone"],
    "type": ["message_type", "msg_type"],
    "template_name": ["template"],
    "template_category": ["category"],
    "status": ["delivery_status", "state"],
    "referral_source": ["referral", "entry_point"],
    "waba_id": ["business_account_id", "account_id"],
    # the customer's business-scoped user ID beside the phone number
    "contact_user_id": ["bsuid", "business_scoped_user_id", "from_user_id", "recipient_user_id"],
    "group_id": ["whatsapp_group_id"],
    "participant": ["participant_id", "recipient_participant_id", "group_participant"],
}


# The largest monthly free tier the rebuild counts: it finds each month's last free conversation
# with a top-N aggregate, which holds N values per month and account in memory. Meta's is 1,000.
MAX_FREE_PER_MONTH = 10_000


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and says what to do."""


@dataclass(frozen=True)
class Settings:
    db_path: str = "data/warehouse.duckdb"
    memory_limit: str = "8GB"
    temp_directory: str = "data/tmp"
    # The most spill DuckDB may write to temp_directory ("" = DuckDB's default, 90% of the
    # free disk there); past it a command stops with a message instead of filling the disk.
    max_temp_directory_size: str = ""
    threads: int = 0
    lock_timeout_seconds: float = 600.0
    inbox: str = "data/inbox"
    source_time_zone: str = "UTC"
    # Phone numbers written nationally (a leading 0) take this region's country code: an ISO
    # 3166 code such as "NL" ("" = none: such numbers are quarantined with the reason).
    default_country: str = ""
    # Naive timestamps in a form ISO-8601 does not cover, as strptime codes ("" = none), e.g.
    # "%d/%m/%Y %H:%M" for Excel's 01/08/2025 10:00; read in source_time_zone.
    timestamp_format: str = ""
    # The text encoding of CSV and JSON files, e.g. "utf-8", "windows-1252", "utf-16".
    encoding: str = "utf-8"
    rate_cards: str = "data/rate_cards"
    column_aliases: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_ALIASES))
    business_time_zone: str = "UTC"
    # The billing currency: only rate cards in it price messages (cards in others are stored).
    business_currency: str = "USD"
    # The regimes of analytics/pricing_regimes.toml switched off ([regimes] <name> = false in
    # the file), by name: the regime before each then stays in force. Every other one is on.
    regimes_switched_off: tuple[str, ...] = ()
    free_conversations_per_month: int = 1000
    free_service_messages_per_month: int = 1000
    reports_out: str = "data/reports"
    visible_digits: int = 4
    schedule_cron: str = "0 2 * * *"
    schedule_time_zone: str = "UTC"
    # 0: rebuild in this process. N > 0: threads hashed into N partitions, built as Prefect
    # tasks on a Dask cluster ("" = local worker processes; "in-process" = one partition after
    # another in this process, no Dask; else a scheduler address).
    rebuild_partitions: int = 0
    rebuild_cluster: str = ""

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced (None means: keep the current value)."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return validated(dataclasses.replace(self, **given))


# (section, key) in the file -> field name
_FILE_KEYS = {
    ("warehouse", "path"): "db_path",
    ("warehouse", "memory_limit"): "memory_limit",
    ("warehouse", "temp_directory"): "temp_directory",
    ("warehouse", "max_temp_directory_size"): "max_temp_directory_size",
    ("warehouse", "threads"): "threads",
    ("warehouse", "lock_timeout_seconds"): "lock_timeout_seconds",
    ("inputs", "inbox"): "inbox",
    ("inputs", "source_time_zone"): "source_time_zone",
    ("inputs", "default_country"): "default_country",
    ("inputs", "timestamp_format"): "timestamp_format",
    ("inputs", "encoding"): "encoding",
    ("inputs", "rate_cards"): "rate_cards",
    ("inputs", "column_aliases"): "column_aliases",
    ("business", "time_zone"): "business_time_zone",
    ("business", "currency"): "business_currency",
    ("business", "free_conversations_per_month"): "free_conversations_per_month",
    ("business", "free_service_messages_per_month"): "free_service_messages_per_month",
    ("reports", "out"): "reports_out",
    ("reports", "visible_digits"): "visible_digits",
    ("schedule", "cron"): "schedule_cron",
    ("schedule", "time_zone"): "schedule_time_zone",
    ("rebuild", "partitions"): "rebuild_partitions",
    ("rebuild", "cluster"): "rebuild_cluster",
}
_FIELD_TO_KEY = {name: f"{section}.{key}" for (section, key), name in _FILE_KEYS.items()}
_KEY_TO_FIELD = {key: name for name, key in _FIELD_TO_KEY.items()}
# [regimes] <regime name> = true | false: one switch per regime of the registry, whatever its
# name (analytics/regimes.py checks the names against the registry).
REGIMES_SECTION = "regimes"
# Keys older configuration files hold, still read: (section, key) -> the [regimes] switch.
_RENAMED_SWITCHES = {("business", "per_message_2026_10_enabled"): "per_message_2026_10"}


def setting_keys() -> tuple[str, ...]:
    """Every setting of the configuration file but the regime switches, as 'section.key'."""
    return tuple(sorted(_KEY_TO_FIELD))


def load_settings(config_path: str | os.PathLike | None = None) -> Settings:
    """Settings from the configuration file: the path given, $CAREWINDOW_CONFIG, or the default."""
    explicit = config_path or os.environ.get(CONFIG_ENV)
    path = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    if not path.exists():
        if explicit:
            raise ConfigError(f"configuration file {path} does not exist; pass an existing file")
        return validated(Settings())
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    values: dict[str, object] = {}
    switches: dict[str, tuple[str, object]] = {}  # regime -> (the key as written, its value)
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{section}' must be a [section]")
        for key, value in table.items():
            regime = key if section == REGIMES_SECTION else _RENAMED_SWITCHES.get((section, key))
            if regime is not None:
                written = f"{section}.{key}"
                if regime in switches and switches[regime][1] != value:
                    raise ConfigError(
                        f"{path}: {switches[regime][0]} and {written} disagree; keep "
                        f"[{REGIMES_SECTION}] {regime} = true or false alone"
                    )
                switches[regime] = (written, value)
                continue
            name = _FILE_KEYS.get((section, key))
            if name is None:
                known = ", ".join([*sorted(_FIELD_TO_KEY.values()), "regimes.<regime name>"])
                raise ConfigError(f"{path}: unknown setting '{section}.{key}'; known: {known}")
            values[name] = value
    for regime, (written, value) in switches.items():
        if not isinstance(value, bool):
            raise ConfigError(
                f"{path}: {written} = {value!r} must be true or false (false switches the "
                f"regime {regime} off)"
            )
    values["regimes_switched_off"] = tuple(
        sorted(regime for regime, (_, value) in switches.items() if not value)
    )
    aliases = values.get("column_aliases")
    if aliases is not None:
        merged = dict(DEFAULT_ALIASES)
        merged.update(aliases)  # type: ignore[arg-type]
        values["column_aliases"] = merged
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except TypeError as error:
        raise ConfigError(f"{path}: {error}") from error
    return validated(settings)


# A byte size as DuckDB takes and shows it: '8GB', '512MiB', '13.0 GiB', '500 bytes'.
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|bytes|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)
_SIZE_UNITS = {"B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_SIZE_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _is_size(text: str) -> bool:
    """A byte size DuckDB takes, such as '8GB' or '512MiB'."""
    return _SIZE.fullmatch(text) is not None


def size_bytes(text: str) -> int:
    """A byte size such as '8GB' or DuckDB's '13.0 GiB', in bytes."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a byte size such as '8GB' or '512MiB'")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


def _zone(name: str, value: object) -> None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"{_FIELD_TO_KEY[name]} = {value!r} is not an IANA time zone "
            "(for example 'UTC' or 'Europe/Amsterdam')"
        ) from error


_TEXT_FIELDS = (
    "db_path",
    "memory_limit",
    "temp_directory",
    "inbox",
    "source_time_zone",
    "rate_cards",
    "business_time_zone",
    "reports_out",
    "schedule_cron",
    "schedule_time_zone",
)

# Cron fields: (name, lowest, highest, names for the values from `lowest` on)
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def _cron_value(text: str, lowest: int, highest: int, names: tuple[str, ...]) -> int | None:
    if text.lower() in names:
        return lowest + names.index(text.lower())
    if text.isdigit() and lowest <= int(text) <= highest:
        return int(text)
    return None


def cron_problem(expression: str) -> str | None:
    """What is wrong with a five-field cron expression, or None when it is valid."""
    fields = expression.split()
    if len(fields) != 5:
        return "it must have five fields (minute hour day-of-month month day-of-week)"
    for text, (name, lowest, highest, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            span, _, step = item.partition("/")
            if step and not (step.isdigit() and int(step) > 0):
                return f"the {name} field {text!r} has a bad step {step!r}"
            if span == "*":
                continue
            first, _, last = span.partition("-")
            start = _cron_value(first, lowest, highest, names)
            end = _cron_value(last, lowest, highest, names) if last else start
            if start is None or end is None or end < start:
                return f"the {name} field {text!r} must stay within {lowest}-{highest}"
    return None


def validated(settings: Settings) -> Settings:
    """The settings, or a ConfigError naming the first wrong value."""
    for name in _TEXT_FIELDS:
        value = getattr(settings, name)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{_FIELD_TO_KEY[name]} = {value!r} must be a non-empty text")
    for name in ("source_time_zone", "business_time_zone", "schedule_time_zone"):
        _zone(name, getattr(settings, name))
    for name in (
        "threads",
        "free_conversations_per_month",
        "free_service_messages_per_month",
        "visible_digits",
        "rebuild_partitions",
    ):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{_FIELD_TO_KEY[name]} = {value!r} must be a whole number >= 0")
    for name in ("free_conversations_per_month", "free_service_messages_per_month"):
        if getattr(settings, name) > MAX_FREE_PER_MONTH:
            raise ConfigError(
                f"{_FIELD_TO_KEY[name]} = {getattr(settings, name)!r} must be at most "
                f"{MAX_FREE_PER_MONTH:,} (Meta's free tiers are 1,000)"
            )
    switched_off = settings.regimes_switched_off
    if not isinstance(switched_off, tuple) or not all(
        isinstance(name, str) for name in switched_off
    ):
        raise ConfigError(
            f"regimes switched off = {switched_off!r} must be regime names, written in the "
            f"file as [{REGIMES_SECTION}] <name> = false"
        )
    lock_timeout = settings.lock_timeout_seconds
    if (
        isinstance(lock_timeout, bool)
        or not isinstance(lock_timeout, int | float)
        or not lock_timeout >= 0
    ):
        raise ConfigError(
            f"warehouse.lock_timeout_seconds = {lock_timeout!r} must be a number of seconds >= 0"
        )
    if not _is_size(settings.memory_limit):
        raise ConfigError(
            f"warehouse.memory_limit = {settings.memory_limit!r} must look like '8GB' or '512MiB'"
        )
    spill_limit = settings.max_temp_directory_size
    if not isinstance(spill_limit, str) or (spill_limit and not _is_size(spill_limit)):
        raise ConfigError(
            f"warehouse.max_temp_directory_size = {settings.max_temp_directory_size!r} must be "
            "empty (DuckDB's default: 90% of the free disk) or look like '50GB' or '512MiB'"
        )
    currency = settings.business_currency
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(
            f"business.currency = {currency!r} must be a three-letter ISO currency code in "
            "capitals, such as 'USD', 'EUR' or 'INR' (the currency of your rate cards)"
        )
    problem = cron_problem(settings.schedule_cron)
    if problem:
        raise ConfigError(
            f"schedule.cron = {settings.schedule_cron!r} is not a cron schedule: {problem}; "
            "for example '0 2 * * *' (every day at 02:00)"
        )
    cluster = settings.rebuild_cluster
    if not isinstance(cluster, str) or (
        cluster
        and cluster != "in-process"
        and not re.fullmatch(r"([a-z][a-z0-9+]*://)?[^\s:/]+:\d{1,5}", cluster)
    ):
        raise ConfigError(
            f"rebuild.cluster = {cluster!r} must be empty (a local Dask cluster), 'in-process' "
            "(one partition after another in this process, no Dask) or a Dask scheduler "
            "address such as 'tcp://10.0.0.5:8786'"
        )
    if not isinstance(settings.column_aliases, dict) or any(
        not isinstance(v, list) or not all(isinstance(a, str) for a in v)
        for v in settings.column_aliases.values()
    ):
        raise ConfigError("inputs.column_aliases must map column names to lists of header names")
    _check_inputs(settings)
    unknown = set(settings.column_aliases) - set(CANONICAL_COLUMNS)
    if unknown:
        raise ConfigError(
            f"inputs.column_aliases names unknown columns {sorted(unknown)}; "
            f"known: {', '.join(CANONICAL_COLUMNS)}"
        )
    return settings


def _check_inputs(settings: Settings) -> None:
    """inputs.default_country, inputs.timestamp_format and inputs.encoding, or a ConfigError."""
    import codecs

    import phonenumbers

    country = settings.default_country
    if not isinstance(country, str) or (
        country and country.upper() not in phonenumbers.SUPPORTED_REGIONS
    ):
        raise ConfigError(
            f"inputs.default_country = {country!r} must be empty or a two-letter country code "
            "such as 'NL', 'IN' or 'BR'"
        )
    form = settings.timestamp_format
    if not isinstance(form, str) or (form and "%" not in form):
        raise ConfigError(
            f"inputs.timestamp_format = {form!r} must be empty or strptime codes such as "
            "'%d/%m/%Y %H:%M'"
        )
    if form:
        _check_timestamp_format(form)
    try:
        codecs.lookup(str(settings.encoding))
    except LookupError as error:
        raise ConfigError(
            f"inputs.encoding = {settings.encoding!r} is not a known text encoding; for example "
            "'utf-8', 'windows-1252', 'latin-1' or 'utf-16'"
        ) from error


def _check_timestamp_format(form: str) -> None:
    """A ConfigError naming inputs.timestamp_format when DuckDB's strptime does not know one of
    its codes (else every file would fail later, blamed on the file)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("select try_strptime('2025-01-01', ?)", [form]).fetchall()
    except duckdb.Error as error:
        reason = str(error).splitlines()[0].split("Error: ", 1)[-1]
        raise ConfigError(
            f"inputs.timestamp_format = {form!r} is not a valid strptime format ({reason}); use "
            "codes such as '%d/%m/%Y %H:%M' (%d day, %m month, %Y year, %H hour, %M minute, "
            "%S second)"
        ) from error
    finally:
        con.close()
