"""Free text made fit for an aggregate: no phone numbers, no names after UNTUK/FOR."""

from __future__ import annotations

import re

import phonenumbers

PHONE = "[phone]"
NUMBER = "[number]"
NAME = "[name]"

# Seven or more digits, optionally split by single spaces, dots or dashes: phone numbers the
# matcher does not recognise, BPJS card numbers, national ID numbers.
_DIGIT_RUN = re.compile(r"\+?\d(?:[ .\-]?\d){6,}")
# "UNTUK Siti Aminah", "for Budi", "utk bu Ani", "a/n Ani": the rest of the message is a name.
_NAME_AFTER = re.compile(r"(?i)(?<![\w/])(untuk|utk|for|a/n|atas nama)\s+\S.*$")
_SPACES = re.compile(r"\s+")
LONGEST = 60


def scrub(text: str) -> str:
    """The text with phone numbers, long digit runs and names replaced by placeholders."""
    pieces: list[str] = []
    last = 0
    for match in phonenumbers.PhoneNumberMatcher(
        text, "ID", leniency=phonenumbers.Leniency.POSSIBLE
    ):
        pieces.append(text[last : match.start])
        pieces.append(PHONE)
        last = match.end
    pieces.append(text[last:])
    cleaned = "".join(pieces)
    cleaned = _DIGIT_RUN.sub(NUMBER, cleaned)
    cleaned = _NAME_AFTER.sub(lambda m: f"{m.group(1)} {NAME}", cleaned)
    return cleaned


def for_grouping(text: str, *, upper: bool = True) -> str:
    """Scrubbed, upper case, single-spaced and cut short: texts that differ only so are one."""
    cleaned = _SPACES.sub(" ", scrub(text)).strip()
    if upper:
        cleaned = cleaned.upper()
    if len(cleaned) > LONGEST:
        cleaned = cleaned[: LONGEST - 1] + "…"
    return cleaned
