"""An SMS as words: folded, split where people glue or decorate them, and matched with typos.

`tokens` turns a text into `Token`s (the folded word and the word as typed, for names).
`closest` finds the lexicon entry a word is a typo of, with a distance that grows with the
word's length, and refuses to guess when two meanings are equally close.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from rapidfuzz.distance import OSA

from sms.lexicon import EMOJI_WORDS

T = TypeVar("T")


@dataclass(frozen=True)
class Token:
    text: str  # folded: lower case, no accents
    raw: str  # as typed, for names
    joined: bool = False  # typed stuck to the token before it ("antre2", "besok1001")
    hyphened: bool = False  # typed after a hyphen between letters ("al-farizi": "farizi")


_TYPOGRAPHIC = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
        "–": "-", "—": "-", "―": "-", "‒": "-", "−": "-", "…": " ",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[#*,;:!?()\[\]{}<>\"_=+|~^@&%$]+")
# A date keeps its dots and slashes; a year after a dot must look like one ("24.11.2026"),
# since "24/11.1001" is a date and then a facility code.
_PIECES = re.compile(r"\d{1,2}[/.-]\d{1,2}(?:[/-](?:\d{4}|\d{2})|\.20\d\d)?(?!\d)|[^./\\]+")
# Hyphens join a ticket ("a-012") and a date ("24-11"); between words they separate.
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-+|-+(?=[^\W\d_])|^-+|-+$")
_TICKET = re.compile(r"^[a-z]-?\d{1,4}$")
_RUNS = re.compile(r"\d+|[^\W\d_]+(?:'[^\W\d_]+)*|\S")


def fold(text: str) -> str:
    """Lower case, typographic punctuation made plain, accents dropped ("pagéto" → "pageto")."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokens(text: str, glue: Callable[[str], list[str] | None] | None = None) -> list[Token]:
    """The words of `text`; `glue` splits a run of letters into known words, gives a known
    word back alone, or says None."""
    for emoji, word in EMOJI_WORDS.items():
        text = text.replace(emoji, f" {word} ")
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    text = "".join(_plain(ch) for ch in text)
    text = _SEPARATORS.sub(" ", text)
    found: list[Token] = []
    for word in text.split():
        for piece in _PIECES.findall(word):
            if _TICKET.match(fold(piece)):
                found.append(Token(fold(piece), piece))
                continue
            for index, part in enumerate(_WORD_HYPHEN.sub(" ", piece).split()):
                parts = _split(part.strip("'"), glue)
                if index and parts and "-" in piece:  # a name keeps its hyphen ("Al-Farizi")
                    parts[0] = replace(parts[0], hyphened=True)
                found.extend(parts)
    return [token for token in found if token.text]


def _plain(ch: str) -> str:
    """A digit in any script as the ASCII digit ("١" and "❶" are 1: `str.isdigit` takes them
    but `int` refuses "❶", and codes are stored in ASCII); symbols and controls as spaces."""
    if ch.isdigit() and not ch.isascii():
        return str(unicodedata.digit(ch))
    return ch if ch.isprintable() and not _symbol(ch) else " "


def _symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "S" and ch not in "'-/."


def _split(raw: str, glue: Callable[[str], list[str] | None] | None) -> list[Token]:
    """One typed word as tokens: "besok1001" → besok, 1001; "antregigi" → antre, gigi."""
    folded = fold(raw)
    if not folded:
        return []
    if _TICKET.match(folded) or re.match(r"^\d{1,2}[/.-]\d{1,2}", folded) or "'" in folded:
        return [Token(folded, raw)]
    if glue is not None and glue(folded) == [folded]:  # a known word as it is ("2day")
        return [Token(folded, raw)]
    same_length = len(folded) == len(raw)
    parts: list[Token] = []
    for run in _RUNS.finditer(folded):
        joined = bool(parts)
        piece = run.group()
        typed = raw[run.start() : run.end()] if same_length else piece
        split = glue(piece) if glue is not None and piece.isalpha() else None
        if split and len(split) > 1:
            offset = 0
            for word in split:
                typed_word = typed[offset : offset + len(word)] if same_length else word
                parts.append(Token(word, typed_word, joined or offset > 0))
                offset += len(word)
        else:
            parts.append(Token(piece, typed, joined))
    return parts


def allowed_distance(length: int) -> int:
    """How many typos a word of this length may carry: none in short words, where one typo
    makes another real word, one in 4-6 letters, two from 7."""
    if length <= 3:
        return 0
    return 1 if length <= 6 else 2


def squeezed(word: str) -> str:
    """Letters typed twice or more in a row, once: "besokkk" → "besok" (for matching only)."""
    return re.sub(r"(.)\1+", r"\1", word)


def closest(word: str, table: Mapping[str, T], *, shortest: int = 4) -> T | None:
    """The meaning of the entry `word` is a typo of; None when none is close enough, or when
    entries with different meanings are equally close (we do not guess)."""
    if word in table:
        return table[word]
    if not word.isalpha():
        return None
    best: int | None = None
    meanings: list[T] = []
    target = squeezed(word)
    for entry, meaning in _candidates(table, shortest):
        limit = allowed_distance(min(len(word), len(entry)))
        if limit == 0 and squeezed(entry) != target:
            continue
        distance = min(OSA.distance(word, entry), OSA.distance(target, squeezed(entry)))
        if distance > limit or (best is not None and distance > best):
            continue
        if best is None or distance < best:
            best, meanings = distance, [meaning]
        elif meaning not in meanings:
            meanings.append(meaning)
    return meanings[0] if len(meanings) == 1 else None


def _candidates(table: Mapping[str, T], shortest: int) -> list[tuple[str, T]]:
    return [
        (entry, meaning)
        for entry, meaning in table.items()
        if len(entry) >= shortest and " " not in entry and entry.isalpha()
    ]


def segment(word: str, vocabulary: Collection[str], *, shortest: int = 2) -> list[str] | None:
    """`word` as two or more words of `vocabulary` glued together (the fewest pieces), or None:
    "antregigibesok" → ["antre", "gigi", "besok"]."""
    if word in vocabulary or len(word) < 2 * shortest:
        return None
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for begin in range(max(0, end - 20), end - shortest + 1):
            head = best[begin]
            piece = word[begin:end]
            if head is not None and piece in vocabulary:
                candidate = [*head, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    result = best[len(word)]
    return result if result is not None and len(result) > 1 else None
