"""Meta's pricing markets by calling-code prefix, built once from `phonenumbers` metadata."""

from __future__ import annotations

import functools
import re

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

# Meta's rate cards name a handful of countries on their own and group the rest. Regions not
# listed here are priced at the "Other" rate. Source: Meta's rate-card market mapping
# (developers.facebook.com/docs/whatsapp/pricing, "markets"), as published in 2024-2025;
# Zimbabwe moved from Other to Rest of Africa on 2025-10-01 (kept in Other here, see README).
SINGLE_COUNTRY_MARKETS = {
    "AR": "Argentina",
    "BR": "Brazil",
    "CL": "Chile",
    "CO": "Colombia",
    "EG": "Egypt",
    "FR": "France",
    "DE": "Germany",
    "IN": "India",
    "ID": "Indonesia",
    "IL": "Israel",
    "IT": "Italy",
    "MY": "Malaysia",
    "MX": "Mexico",
    "NL": "Netherlands",
    "NG": "Nigeria",
    "PK": "Pakistan",
    "PE": "Peru",
    "RU": "Russia",
    "SA": "Saudi Arabia",
    "ZA": "South Africa",
    "ES": "Spain",
    "TR": "Turkey",
    "AE": "United Arab Emirates",
    "GB": "United Kingdom",
}
GROUPED_MARKETS = {
    "North America": "US CA",
    "Rest of Latin America": "BO CR DO EC SV GT HT HN JM NI PA PY PR UY VE",
    "Rest of Western Europe": "AT BE DK FI IE NO PT SE CH",
    "Rest of Central & Eastern Europe": (
        "AL AM AZ BY BG HR CZ GE GR HU LV LT MD MK PL RO RS SK SI UA"
    ),
    "Rest of Asia Pacific": ("AF AU BD KH CN HK JP LA MN NP NZ PG PH SG LK TW TJ TH TM UZ VN"),
    "Rest of Middle East": "BH IQ JO KW LB OM QA YE",
    "Rest of Africa": (
        "DZ AO BJ BW BF BI CM TD CG ER ET GA GM GH GW CI KE LS LR LY MG MW ML MR MA MZ NA NE "
        "RW SN SL SO SS SD SZ TZ TG TN UG ZM"
    ),
}
OTHER = "Other"
MARKET_BY_REGION = {
    **SINGLE_COUNTRY_MARKETS,
    **{region: market for market, regions in GROUPED_MARKETS.items() for region in regions.split()},
}
NORTH_AMERICAN_NUMBERING_PLAN = 1
AREA_CODES = range(200, 1000)


def market_for_region(region: str) -> str:
    """Meta's market for an ISO region code ('001' = non-geographic numbers: Other)."""
    return MARKET_BY_REGION.get(region, OTHER)


@functools.cache
def market_prefixes() -> tuple[tuple[str, str], ...]:
    """(digits prefix, market) pairs: every calling code, plus +1 area codes outside US/Canada.

    Meta prices by calling code, so a code shared by several regions (+7, +44) takes the market
    of its main region; only +1 is split further, by area code (1-787 Puerto Rico is Rest of
    Latin America, 1-212 New York stays North America).
    """
    prefixes: dict[str, str] = {}
    for calling_code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        prefixes[str(calling_code)] = market_for_region(regions[0])
    for region in COUNTRY_CODE_TO_REGION_CODE[NORTH_AMERICAN_NUMBERING_PLAN]:
        leading_digits = PhoneMetadata.metadata_for_region(region).leading_digits
        if not leading_digits:
            continue  # the US and Canada: every area code not claimed by another region
        pattern = re.compile(leading_digits)
        for area_code in AREA_CODES:
            if pattern.fullmatch(str(area_code)):
                prefixes[f"{NORTH_AMERICAN_NUMBERING_PLAN}{area_code}"] = market_for_region(region)
    return tuple(sorted(prefixes.items()))
