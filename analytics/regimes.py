"""The pricing regime registry: analytics/pricing_regimes.toml, the calendar it gives, and the
SQL that prices every message under every regime.

The registry is checked whole when it loads, so that a forgotten piece stops the rebuild with
a message naming it: a rule file without an entry, an entry without its rule file, a name that
cannot name columns, a setting carewindow.toml does not have, a conversation regime whose
conversations no chain step walks. Regimes are switched on and off by name in carewindow.toml
([regimes] <name> = false), the same way for every regime.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import jinja2

from analytics.config import REGIMES_SECTION, ConfigError, Settings, setting_keys
from analytics.db import SQL_DIR

REGISTRY_FILE = Path(__file__).with_name("pricing_regimes.toml")
# Each regime's rule: <folder of the registry>/sql/regimes/<name>.sql, so for the shipped
# registry analytics/sql/regimes/<name>.sql.
RULES_FOLDER = Path("sql") / "regimes"
CHARGE_UNITS = ("message", "conversation")
# The steps that walk conversation regimes' chains (macros/conversation_chains.sql): each
# conversation regime's chains are declared there by its name (sql/regimes/README.md).
CHAIN_STEPS = ("int_conversations_opened", "int_conversations_service")
# A regime's name becomes part of column names (<regime>_billable) in the SQL templates.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,40}")
FIELDS = {
    "name",
    "label",
    "in_force_from",
    "confirmed_by_meta",
    "charge_unit",
    "pricing_model",
    "volume_tiers",
    "settings",
    "source",
    "change",
}


class RegistryError(ValueError):
    """The regime registry is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class Regime:
    name: str
    label: str
    in_force_from: date  # in the business time zone; until the next enabled regime starts
    confirmed_by_meta: bool
    charge_unit: str  # message | conversation
    pricing_model: str  # Meta's word in status webhooks (CBP, PMP); "" when none
    volume_tiers: bool
    settings: tuple[str, ...]
    source: str
    rule_file: Path  # the SQL file of its rule
    change: str = ""  # what changed when it came into force, in a report's words

    @property
    def rule_sql(self) -> str:
        return self.rule_file.read_text(encoding="utf-8")

    def enabled(self, settings: Settings) -> bool:
        """On, unless carewindow.toml switches it off ([regimes] <name> = false)."""
        return self.name not in settings.regimes_switched_off


def load_registry(path: Path | None = None) -> tuple[Regime, ...]:
    """Every regime of the registry file (default: the shipped one), oldest first, checked."""
    return _load_registry(Path(path or REGISTRY_FILE).resolve())


@functools.cache
def _load_registry(path: Path) -> tuple[Regime, ...]:
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("regime", [])
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"{path} is not valid TOML: {error}") from error
    regimes = tuple(_regime(path, entry) for entry in entries)
    if not regimes:
        raise RegistryError(f"{path} lists no [[regime]]")
    names = [regime.name for regime in regimes]
    if len(set(names)) != len(names):
        raise RegistryError(f"{path}: a regime name appears twice: {names}")
    starts = [regime.in_force_from for regime in regimes]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise RegistryError(f"{path}: regimes must be listed oldest first, one per start date")
    _check_every_rule_has_an_entry(path, regimes)
    return regimes


def _check_every_rule_has_an_entry(path: Path, regimes: tuple[Regime, ...]) -> None:
    """A rule file the registry does not list would price nothing, and its messages would go
    to the regime before it without a word: refused, naming the file."""
    listed = {regime.rule_file.name for regime in regimes}
    folder = path.parent / RULES_FOLDER
    strays = sorted(rule for rule in folder.glob("*.sql") if rule.name not in listed)
    if strays:
        raise RegistryError(
            f"{', '.join(str(rule) for rule in strays)}: a pricing rule without a registry "
            f"entry, so no message would be priced under it; add a [[regime]] with name = "
            f'"{strays[0].stem}" to {path} (analytics/sql/regimes/README.md), or delete the file'
        )


def _regime(path: Path, entry: dict) -> Regime:
    name = entry.get("name", "?")
    unknown = set(entry) - FIELDS
    if "enabled_by" in unknown:
        raise RegistryError(
            f"{path}: regime {name}: enabled_by is no longer read; every regime is switched "
            f"in carewindow.toml ([{REGIMES_SECTION}] {name} = false switches it off): delete "
            "the line"
        )
    if unknown:
        raise RegistryError(f"{path}: regime {name}: unknown field(s) {sorted(unknown)}")
    if not isinstance(entry.get("name"), str) or not NAME_PATTERN.fullmatch(entry["name"]):
        raise RegistryError(
            f"{path}: regime {name!r}: a name is lower-case letters, digits and _ (it names "
            "columns), starting with a letter"
        )
    try:
        regime = Regime(
            name=entry["name"],
            label=entry["label"],
            in_force_from=entry["in_force_from"],
            confirmed_by_meta=entry["confirmed_by_meta"],
            charge_unit=entry["charge_unit"],
            pricing_model=entry.get("pricing_model", ""),
            volume_tiers=entry.get("volume_tiers", False),
            settings=tuple(entry.get("settings", ())),
            source=entry["source"],
            rule_file=path.parent / RULES_FOLDER / f"{entry['name']}.sql",
            change=entry.get("change", ""),
        )
    except KeyError as missing:
        raise RegistryError(f"{path}: regime {name} has no {missing}") from None
    if not isinstance(regime.in_force_from, date):
        raise RegistryError(f"{path}: regime {name}: in_force_from must be a date (2026-10-01)")
    if regime.charge_unit not in CHARGE_UNITS:
        raise RegistryError(f"{path}: regime {name}: charge_unit must be one of {CHARGE_UNITS}")
    if not regime.rule_file.exists():
        raise RegistryError(f"regime {name}: its rule {regime.rule_file} does not exist; write it")
    unknown_settings = [key for key in regime.settings if key not in setting_keys()]
    if unknown_settings:
        raise RegistryError(
            f"{path}: regime {name}: settings names {', '.join(unknown_settings)}, which "
            f"carewindow.toml does not have (known: {', '.join(setting_keys())}); fix the name, "
            "or add the setting to analytics/config.py"
        )
    if regime.charge_unit == "conversation" and not any(
        f"'{name}'" in (SQL_DIR / f"{step}.sql").read_text(encoding="utf-8") for step in CHAIN_STEPS
    ):
        raise RegistryError(
            f"{path}: regime {name} charges per conversation, but no chain step "
            f"({', '.join(f'analytics/sql/{step}.sql' for step in CHAIN_STEPS)}) walks its "
            f"conversations: add its chains as '{name}' there (analytics/sql/regimes/README.md)"
        )
    return regime


def regime_names(registry: tuple[Regime, ...] | None = None) -> tuple[str, ...]:
    return tuple(regime.name for regime in registry or load_registry())


def calendar(
    settings: Settings, registry: tuple[Regime, ...] | None = None
) -> list[tuple[Regime, date, date | None]]:
    """(regime, in force from, in force until inclusive or None) for the enabled regimes."""
    registry = registry or load_registry()
    check_switches(settings, registry)
    enabled = [regime for regime in registry if regime.enabled(settings)]
    return [
        (
            regime,
            regime.in_force_from,
            enabled[position + 1].in_force_from - timedelta(days=1)
            if position + 1 < len(enabled)
            else None,
        )
        for position, regime in enumerate(enabled)
    ]


def check_switches(settings: Settings, registry: tuple[Regime, ...] | None = None) -> None:
    """A ConfigError when carewindow.toml switches off a regime the registry does not have, or
    the first one (before it no regime would be in force)."""
    registry = registry or load_registry()
    names = [regime.name for regime in registry]
    unknown = [name for name in settings.regimes_switched_off if name not in names]
    if unknown:
        raise ConfigError(
            f"[{REGIMES_SECTION}] {unknown[0]} = false switches off no regime of the registry "
            f"(analytics/pricing_regimes.toml); its regimes: {', '.join(names)}"
        )
    if names[0] in settings.regimes_switched_off:
        raise ConfigError(
            f"[{REGIMES_SECTION}] {names[0]} = false: the first regime cannot be switched off, "
            "no regime before it would price the messages it prices; switch a later one off"
        )


def write_pricing_regimes(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    registry: tuple[Regime, ...] | None = None,
) -> None:
    """The public table `pricing_regimes`: every regime, when it is in force under these
    settings (null dates when it is switched off), and what its rule reads."""
    registry = registry or load_registry()
    in_force = {
        regime.name: (starts, until) for regime, starts, until in calendar(settings, registry)
    }
    columns: dict[str, list] = {
        "regime": [r.name for r in registry],
        "label": [r.label for r in registry],
        "in_force_from": [in_force.get(r.name, (None, None))[0] for r in registry],
        "in_force_until": [in_force.get(r.name, (None, None))[1] for r in registry],
        "enabled": [r.name in in_force for r in registry],
        "confirmed_by_meta": [r.confirmed_by_meta for r in registry],
        "charge_unit": [r.charge_unit for r in registry],
        "pricing_model": [r.pricing_model or None for r in registry],
        "volume_tiers": [r.volume_tiers for r in registry],
        "settings": [list(r.settings) for r in registry],
        "source": [r.source for r in registry],
        "change": [r.change or None for r in registry],
        "position": list(range(1, len(registry) + 1)),
    }
    # One statement with bound lists: the registry is a handful of rows.
    con.execute(
        """
        create or replace table pricing_regimes as
        select
            unnest($regime)::varchar as regime,
            unnest($label)::varchar as label,
            unnest($in_force_from)::date as in_force_from,
            unnest($in_force_until)::date as in_force_until,
            unnest($enabled)::boolean as enabled,
            unnest($confirmed_by_meta)::boolean as confirmed_by_meta,
            unnest($charge_unit)::varchar as charge_unit,
            unnest($pricing_model)::varchar as pricing_model,
            unnest($volume_tiers)::boolean as volume_tiers,
            unnest($settings)::varchar[] as settings,
            unnest($source)::varchar as source,
            unnest($change)::varchar as change,
            unnest($position)::integer as position
        """,
        columns,
    )


def render_sql(
    template: str, registry: tuple[Regime, ...] | None = None, chunked: bool = False
) -> str:
    """A SQL template of analytics/sql rendered for every regime of the registry.

    The pricing steps keep one column per regime and field (<regime>_billable, ...) so that the
    rebuild handles one row per message, not one per message and regime; their SQL files loop
    over `regimes` (name, charge_unit, pricing_model, volume_tiers, rule_sql) with jinja2.
    Only the registry's names, checked when it loads, go into the text; values are bound or read
    from tables. `chunked`: the text of one chunk of a step written in chunks
    (analytics/chunks.py), whose template then filters its inputs.
    """
    registry = registry or load_registry()
    return _environment().from_string(template).render(regimes=registry, chunked=chunked)


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SQL_DIR),  # for imports of analytics/sql/macros/
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["reading"] = reading
    return environment


def reading(rule_sql: str, table: str) -> str:
    """A rule's SQL reading `table` where it reads int_pricing_messages (jinja filter)."""
    return re.sub(r"\bint_pricing_messages\b", table, rule_sql)
