"""Meta's pricing markets by calling-code prefix and date, from analytics/data/markets.toml.

The data file says which market each region (ISO code, as `phonenumbers` names it) is priced
in and since when; this module turns it into calling-code prefixes (a calling code, or a
shared code and the leading digits of one of its regions) with validity dates and
writes them to the public table `markets` (prefix, market, valid_from, valid_to) for the
pricing SQL, which gives each message the market of its customer's prefix on its send date.
"""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from analytics.db import sql_text

MARKETS_FILE = Path(__file__).parent / "data" / "markets.toml"
# The first valid_from of every prefix: before any recorded move, as far back as carewindow
# prices (the regime calendar starts there too).
ALWAYS = date(1, 1, 1)
# Leading-digit patterns of shared calling codes name at most four digits after the code.
_LONGEST_LEADING_DIGITS = 4
KNOWN_REGIONS = frozenset(
    region for regions in COUNTRY_CODE_TO_REGION_CODE.values() for region in regions
)


class MarketsFileError(ValueError):
    """The markets data file is wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class MarketPeriod:
    """One row of `markets`: the prefix is priced in `market` from valid_from until valid_to
    (the first day it no longer is; None = still valid)."""

    prefix: str
    market: str
    valid_from: date
    valid_to: date | None
    region: str
    source: str


@dataclass(frozen=True)
class _RegionPeriod:
    market: str
    valid_from: date
    valid_to: date | None
    source: str


def _fail(path: Path, what: str) -> MarketsFileError:
    return MarketsFileError(f"{path}: {what}; fix the file (see the comments at its top)")


def _regions(path: Path, where: str, regions: object) -> list[str]:
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise _fail(path, f"{where}: regions must be a list of ISO region codes")
    unknown = sorted(set(regions) - KNOWN_REGIONS)
    if unknown:
        raise _fail(path, f"{where}: {', '.join(unknown)} is not a region phonenumbers knows")
    return regions


def region_periods(path: Path = MARKETS_FILE) -> dict[str, tuple[_RegionPeriod, ...]]:
    """Every known region's markets over time, contiguous from ALWAYS (the last open-ended)."""
    return _region_periods(Path(path))


@functools.cache
def _region_periods(path: Path) -> dict[str, tuple[_RegionPeriod, ...]]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise _fail(path, f"cannot be read ({error})") from error
    other = document.get("other", "Other")
    base = document.get("base", {})
    base_source = base.get("source", "")
    markets_of: dict[str, str] = {}
    for market, regions in base.get("markets", {}).items():
        for region in _regions(path, f"base market {market!r}", regions):
            if region in markets_of:
                raise _fail(
                    path, f"{region} is in both {markets_of[region]!r} and {market!r} in [base]"
                )
            markets_of[region] = market
    periods = {
        region: [_RegionPeriod(markets_of.get(region, other), ALWAYS, None, base_source)]
        for region in KNOWN_REGIONS
    }
    moves = document.get("moves", [])
    for number, move in enumerate(moves, start=1):
        where = f"move {number} ({move.get('market', '?')!r})"
        start = move.get("from")
        if not isinstance(start, date) or not move.get("market") or not move.get("source"):
            raise _fail(path, f"{where}: needs regions, market, from (a date) and source")
        if number > 1 and start < moves[number - 2]["from"]:
            raise _fail(path, f"{where}: moves must be in date order")
        for region in _regions(path, where, move.get("regions")):
            last = periods[region][-1]
            if start <= last.valid_from:
                raise _fail(path, f"{where}: {region} already moved on {last.valid_from}")
            if last.market == move["market"]:
                raise _fail(path, f"{where}: {region} is already in {move['market']!r}")
            periods[region][-1] = _RegionPeriod(last.market, last.valid_from, start, last.source)
            periods[region].append(_RegionPeriod(move["market"], start, None, move["source"]))
    return {region: tuple(history) for region, history in periods.items()}


@functools.cache
def calling_code_prefixes() -> tuple[tuple[str, str], ...]:
    """(digits prefix, region) pairs: every calling code with its main region, and, for every
    code several regions share, the leading digits that tell its other regions apart, as
    `phonenumbers` knows them (+1 787 Puerto Rico, +7 7 Kazakhstan, +44 1624 Isle of Man).
    Non-geographic codes (+800, +882, ...) have region "001"."""
    prefixes: dict[str, str] = {}
    for calling_code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        prefixes[str(calling_code)] = regions[0]
        for region in regions[1:]:
            leading_digits = PhoneMetadata.metadata_for_region(region).leading_digits
            if not leading_digits:
                continue  # told apart by no leading digits: priced as the code's main region
            pattern = re.compile(leading_digits)
            for length in range(1, _LONGEST_LEADING_DIGITS + 1):
                for digits in itertools.product("0123456789", repeat=length):
                    candidate = "".join(digits)
                    if pattern.fullmatch(candidate):
                        prefixes[f"{calling_code}{candidate}"] = region
    return tuple(sorted(prefixes.items()))


def market_periods(path: Path = MARKETS_FILE) -> tuple[MarketPeriod, ...]:
    """The rows of `markets`, by prefix and date."""
    periods = region_periods(path)
    return tuple(
        MarketPeriod(prefix, p.market, p.valid_from, p.valid_to, region, p.source)
        for prefix, region in calling_code_prefixes()
        for p in periods[region]
    )


def write_markets_table(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write the public table `markets` from the data file, in the caller's transaction."""
    rows = market_periods()
    con.execute(sql_text("markets"))
    # One statement with bound lists: a row-by-row executemany is slow in DuckDB.
    con.execute(
        "insert into markets select unnest($prefix), unnest($market), unnest($valid_from), "
        "unnest($valid_to), unnest($region), unnest($source)",
        {
            "prefix": [r.prefix for r in rows],
            "market": [r.market for r in rows],
            "valid_from": [r.valid_from for r in rows],
            "valid_to": [r.valid_to for r in rows],
            "region": [r.region for r in rows],
            "source": [r.source for r in rows],
        },
    )
