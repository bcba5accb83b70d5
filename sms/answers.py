"""A short free-text answer to a reminder, read as what it says: coming, cancel or rebook.

"iya insya Allah", "ok 👍" → coming; "ga jadi", "tdk jd", "batal aja" → cancel; "pindah" after
a session the facility cancelled → a new number. A negation before a yes-word cancels
("tidak bisa datang"); a negation alone ("tidak") is `unsure`: we say which digits work.
"""

from __future__ import annotations

from typing import Literal

from sms import lexicon
from sms.words import tokens

Meaning = Literal["yes", "cancel", "rebook", "unsure"]
MAX_WORDS = 12  # longer than this is a message of its own, not an answer
# A reminder answer never starts with these: they begin a command of their own.
_COMMAND_KINDS = frozenset({"book", "status", "schedule", "checkin", "language", "stop", "start",
                            "help"})  # fmt: skip
_NEGATED = lexicon.YES_WORDS | frozenset(
    {"jadi", "jd", "bisa", "bs", "datang", "dateng", "hadir", "sido", "iso", "teko", "tiasa",
     "sumping", "saged", "sios", "usah", "come", "coming", "jadinya"}
)  # fmt: skip


def meaning(text: str) -> Meaning | None:
    """What a short text says to a reminder; None when it says nothing to one."""
    words = [token.text for token in tokens(text)]
    if not words or len(words) > MAX_WORDS:
        return None
    first = next((word for word in words if word not in lexicon.FILLER), words[0])
    if lexicon.KEYWORDS.get(first) in _COMMAND_KINDS and first not in lexicon.YES_WORDS:
        return None
    phrases = _phrases(words)
    if phrases & lexicon.CANCEL_WORDS:
        return "cancel"
    for index, word in enumerate(words):
        if word in lexicon.NEGATIONS and set(words[index + 1 : index + 4]) & _NEGATED:
            return "cancel"
    if phrases & lexicon.REBOOK_WORDS:
        return "rebook"
    if any(word in lexicon.NEGATIONS for word in words):
        return "unsure"
    if phrases & lexicon.YES_WORDS:
        return "yes"
    return None


def _phrases(words: list[str]) -> set[str]:
    return {" ".join(words[i : i + size]) for size in (1, 2, 3) for i in range(len(words))}
