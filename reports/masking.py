"""Customer numbers as reports show them: country, network prefix and the last few digits only."""

from __future__ import annotations

import re

import phonenumbers

# A masked number always hides at least this many digits, whatever visible_digits says.
MINIMUM_HIDDEN_DIGITS = 4

_NUMBER_IN_TEXT = re.compile(r"\+?\d(?:[\d .\-()]*\d){6,}")
# A business-scoped user ID (docs/rules.md, section 1): `US.13491208655302741918`, a parent
# `US.ENT.…`.
_USER_ID = re.compile(r"\b([A-Z]{2})\.(ENT\.)?([A-Za-z0-9]{1,128})\b")
# How the report queries name a WhatsApp group in a contact column: `group:<group ID>`.
GROUP_PREFIX = "group:"


def _parsed(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_country_code(number.country_code) == "ZZ":
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _hidden(digits: str, visible_digits: int) -> str:
    """Stars for all but the last visible_digits digits, keeping MINIMUM_HIDDEN_DIGITS hidden."""
    visible = max(0, min(visible_digits, len(digits) - MINIMUM_HIDDEN_DIGITS))
    shown = digits[len(digits) - visible :] if visible else ""
    return "*" * max(len(digits) - visible, MINIMUM_HIDDEN_DIGITS) + shown


def masked_contact(contact: str | None, visible_digits: int = 4) -> str:
    """A customer number fit for a report: `+31 6 ****5678` for 31612345678.

    The network prefix (for example the Dutch mobile `6`) is shown only when enough digits stay
    hidden after it; anything that is not a phone number keeps only its last digits. A group
    (the report queries write it `group:<group ID>`) shows as `group ****AZD`: its last
    characters, no number.
    """
    if (contact or "").startswith(GROUP_PREFIX):
        group_id = contact[len(GROUP_PREFIX) :]
        visible = max(0, min(visible_digits, len(group_id) - MINIMUM_HIDDEN_DIGITS))
        return "group " + "*" * MINIMUM_HIDDEN_DIGITS + group_id[len(group_id) - visible :]
    user_id = _USER_ID.fullmatch(contact or "")
    if user_id is not None:
        return _masked_user_id(user_id, visible_digits)
    digits = re.sub(r"\D", "", contact or "")
    if not digits:
        return "****"
    number = _parsed(digits)
    if number is None:
        return _hidden(digits, visible_digits)
    national = phonenumbers.national_significant_number(number)
    prefix_length = 0
    if phonenumbers.is_valid_number(number):
        prefix_length = phonenumbers.length_of_national_destination_code(number)
    tail = max(0, min(visible_digits, len(national) - MINIMUM_HIDDEN_DIGITS))
    if len(national) - prefix_length - tail < MINIMUM_HIDDEN_DIGITS:
        prefix_length = 0
    prefix = f" {national[:prefix_length]}" if prefix_length else ""
    return f"+{number.country_code}{prefix} {_hidden(national[prefix_length:], tail)}"


def _masked_user_id(user_id: re.Match[str], visible_digits: int) -> str:
    """`US.****1918` for the BSUID US.13491208655302741918: its country (what the market comes
    from) and its last characters; the stars never say how long it is."""
    country, parent, tail = user_id.groups()
    visible = max(0, min(visible_digits, len(tail) - MINIMUM_HIDDEN_DIGITS))
    shown = tail[len(tail) - visible :] if visible else ""
    return f"{country}.{parent or ''}{'*' * MINIMUM_HIDDEN_DIGITS}{shown}"


def business_number_label(business_number: str | None) -> str:
    """The business's own number, readable (`+31 20 123 4567`); it is not a customer's, so whole."""
    digits = re.sub(r"\D", "", business_number or "")
    number = _parsed(digits) if digits else None
    if number is None or not phonenumbers.is_valid_number(number):
        return business_number or "(unknown)"
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # phonenumbers leaves some subscriber numbers whole (German landlines: +49 30 726198450);
    # group every run of six digits or more like the others, so numbers read alike.
    return re.sub(r"\d{6,}", lambda match: _grouped(match.group(0)), formatted)


def _grouped(digits: str) -> str:
    """'726198450' -> '726 198 450'; '1234567' -> '123 4567' (no group of one digit)."""
    groups = []
    while len(digits) > 4:
        groups.append(digits[:3])
        digits = digits[3:]
    return " ".join([*groups, digits])


def masked_numbers_in_text(text: str | None, visible_digits: int = 4) -> str:
    """Free text (a quarantine reason, say) with every phone-number-like run of digits masked."""
    if not text:
        return ""
    text = _USER_ID.sub(lambda match: _masked_user_id(match, visible_digits), text)
    return _NUMBER_IN_TEXT.sub(lambda match: masked_contact(match.group(0), visible_digits), text)
