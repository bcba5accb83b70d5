"""The GSM 03.38 alphabet: what fits one plain SMS segment, and how to make any text fit it.

Written by hand because no maintained PyPI package does both the septet count and a
transliteration that keeps Indonesian text readable; the tables are the standard's.
"""

from __future__ import annotations

import unicodedata

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")  # each costs two septets (escape + char)
ALPHABET = frozenset(BASIC | EXTENSION)
SEGMENT_SEPTETS = 160

# Look-alikes people and word processors type; everything else is reduced by NFKD or dropped.
_REPLACEMENTS = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-", "‑": "-",
    "…": "...", "•": "*", "·": ".", "×": "x", "÷": "/",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ", "\u200b": "",
    "©": "(c)", "®": "(R)", "™": "TM", "°": "o",
    "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i",
}  # fmt: skip


def septets(text: str) -> int:
    """Septets `text` needs in GSM-7; characters outside the alphabet count as impossible."""
    if BASIC.issuperset(text):  # the usual case, checked at C speed
        return len(text)
    count = 0
    for char in text:
        if char in BASIC:
            count += 1
        elif char in EXTENSION:
            count += 2
        else:
            return 10**6
    return count


def is_gsm7(text: str) -> bool:
    return ALPHABET.issuperset(text)


def fits_one_segment(text: str) -> bool:
    return septets(text) <= SEGMENT_SEPTETS


def to_gsm7(text: str) -> str:
    """Transliterate into the GSM 03.38 alphabet so the message can never flip to UCS-2."""
    if ALPHABET.issuperset(text):  # nearly every text on every request: nothing to change
        return text
    out: list[str] = []
    for char in text:
        if char in ALPHABET:
            out.append(char)
            continue
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if not unicodedata.combining(c) and (c in BASIC or c in EXTENSION)
        )
        if plain:
            out.append(plain)
        elif unicodedata.category(char).startswith(("Z", "C")):
            out.append(" ")
        # Other symbols (emoji, scripts we cannot spell) are dropped rather than shown as '?'.
    return "".join(out)
