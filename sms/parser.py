"""Keyword SMS → a command: a pure function of the text and the facility's service words.

People text in a hurry: any case, extra spaces, `#*.,:;` as separators, filler words
("mau", "tolong", "poli"), abbreviations ("bsk", "utk") and one-letter typos. The parser
never raises and never looks at the calendar: days come back as words for the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

MAX_TEXT = 1000  # longer messages are cut: nobody's real keyword SMS is longer
MAX_NAME = 30

DayKind = Literal["today", "tomorrow", "day_after", "weekday", "date"]


@dataclass(frozen=True)
class DayWord:
    kind: DayKind
    weekday: int | None = None  # 0 = Monday
    day: int | None = None
    month: int | None = None


@dataclass(frozen=True)
class Book:
    service: str | None
    day: DayWord | None
    facility_code: str | None
    for_name: str | None


@dataclass(frozen=True)
class Cancel:
    ticket: str | None


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Schedule:
    facility_code: str | None


@dataclass(frozen=True)
class CheckIn:
    pass


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class SetLanguage:
    language: Literal["id", "en"]


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Digit:
    value: int


@dataclass(frozen=True)
class Unknown:
    text: str


Command = (
    Book
    | Cancel
    | Status
    | Schedule
    | CheckIn
    | Confirm
    | SetLanguage
    | Stop
    | Start
    | Help
    | Digit
    | Unknown
)

DEFAULT_SERVICES: Mapping[str, Sequence[str]] = {
    "UMUM": ["umum", "general", "dokter umum", "bp", "balai pengobatan", "poli umum", "doctor"],
    "GIGI": ["gigi", "poli gigi", "dental", "dentist", "gigi dan mulut", "dokter gigi", "teeth"],
    "KIA": ["kia", "ibu dan anak", "ibu hamil", "hamil", "bidan", "kandungan", "mother"],
    "KB": ["kb", "keluarga berencana", "family planning"],
    "IMUNISASI": ["imunisasi", "imunisasi anak", "vaksin", "vaksinasi", "immunisation", "vaccine"],
    "LANSIA": ["lansia", "manula", "posbindu", "elderly", "orang tua"],
    "TB": ["tb", "tbc", "paru", "tuberculosis"],
    "GIZI": ["gizi", "nutrisi", "nutrition"],
    "MTBS": ["mtbs", "balita", "anak sakit"],
}

# The first word of a message says what it is. Each keyword maps to the command kind.
KEYWORDS: Mapping[str, str] = {
    **dict.fromkeys(
        [
            "antre",
            "antri",
            "antrean",
            "antrian",
            "antreyan",
            "ngantri",
            "ngantre",
            "daftar",
            "book",
            "booking",
            "queue",
            "ambil",
            "antrenya",
            "antriannya",
        ],
        "book",
    ),
    **dict.fromkeys(["batal", "batalkan", "batalin", "cancel", "btl", "btal"], "cancel"),
    **dict.fromkeys(["cek", "check", "status", "posisi", "check", "stat"], "status"),
    **dict.fromkeys(["jadwal", "info", "jdwl", "schedule"], "schedule"),
    **dict.fromkeys(["hadir", "sampai", "datang", "checkin", "tiba", "arrived"], "checkin"),
    # YA/YES per the design; "ok"/"oke"/"iya" are how many people answer a reminder.
    **dict.fromkeys(["ya", "yes", "y", "iya", "ok", "oke", "okay", "siap"], "confirm"),
    **dict.fromkeys(["bahasa", "lang", "language", "bhs"], "language"),
    **dict.fromkeys(["stop", "berhenti", "unsubscribe", "unreg", "henti"], "stop"),
    **dict.fromkeys(["mulai", "start", "subscribe", "reg"], "start"),
    **dict.fromkeys(["bantuan", "help", "?", "menu", "tolong", "bantu", "caranya"], "help"),
}
# Words people put before or around the keyword that carry no meaning for us.
_FILLER_WORDS = (
    "saya sy aku aq mau mo ingin pengen pingin tolong tlg mohon minta please pls plz pak bu "
    "bapak kak mas mbak dok halo hallo hai hi hello selamat pagi siang sore malam ya dong "
    "donk deh nih ke di dan poli puskesmas pkm klinik at the a an to my no nomor nmr "
    "antrian antrean queue number"
)
FILLER = frozenset(_FILLER_WORDS.split())
# Words that are a command alone but only politeness before another one ("tolong antre …").
LEADING = frozenset({"tolong", "tlg", "ya", "ok", "oke", "halo"})
FOR_WORDS = frozenset({"untuk", "utk", "buat", "bwt", "for"})
TODAY = frozenset({"hariini", "skrg", "sekarang", "today", "now", "hr ini", "hari ini", "td"})
TOMORROW = frozenset(
    {"besok", "bsk", "besuk", "esok", "tomorrow", "tmrw", "tmr", "tomorow", "bsok", "bso"}
)
DAY_AFTER = frozenset({"lusa"})
WEEKDAYS: Mapping[str, int] = {
    **dict.fromkeys(["senin", "sen", "monday", "mon"], 0),
    **dict.fromkeys(["selasa", "sel", "tuesday", "tue", "tues"], 1),
    **dict.fromkeys(["rabu", "rab", "wednesday", "wed"], 2),
    **dict.fromkeys(["kamis", "kam", "thursday", "thu", "thurs"], 3),
    **dict.fromkeys(["jumat", "jum'at", "jmt", "jum", "friday", "fri"], 4),
    **dict.fromkeys(["sabtu", "sab", "saturday", "sat"], 5),
    **dict.fromkeys(["minggu", "ahad", "mgg", "sunday", "sun"], 6),
}
LANGUAGES: Mapping[str, Literal["id", "en"]] = {
    **dict.fromkeys(["en", "eng", "english", "inggris", "ing"], "en"),
    **dict.fromkeys(["id", "ind", "indo", "indonesia", "indonesian", "bahasa"], "id"),
}

_SEPARATORS = re.compile(r"[#*,;:!()\[\]{}<>\"_=+|~`^]+")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
# A date keeps its dots and slashes; a year after a dot must look like one ("24.11.2026"),
# since "24/11.1001" is a date and then a facility code.
_PIECES = re.compile(r"\d{1,2}[/.-]\d{1,2}(?:[/-](?:\d{4}|\d{2})|\.20\d\d)?(?!\d)|[^./\\]+")
_TICKET = re.compile(r"^([a-z])\s*-?\s*(\d{1,4})$")
_FACILITY_CODE = re.compile(r"^\d{4,6}$")
_NAME_DROP = re.compile(r"[^\w .'\-]|[\d_]")


def parse(text: str, services: Mapping[str, Sequence[str]] = DEFAULT_SERVICES) -> Command:
    """The command a text message asks for; `Unknown` when we cannot tell."""
    original = text[:MAX_TEXT].strip()
    words = _words(original)
    if not words:
        return Unknown(original)
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 2:
        return Digit(int(words[0]))
    if all(set(word) == {"?"} for word in words):
        return Help()
    start = 0
    while start < len(words) - 1 and (words[start] in FILLER or words[start] in LEADING):
        start += 1
    kind, rest = _split_keyword(words[start:], services)
    if kind is None:
        if _find_service(words[start:], services) is not None:
            return _book(words[start:], original, services)
        language = _language_alone(words)
        return SetLanguage(language) if language else Unknown(original)
    return _command(kind, rest, original, services)


def _command(
    kind: str, rest: list[str], original: str, services: Mapping[str, Sequence[str]]
) -> Command:
    content = [word for word in rest if word not in FILLER]
    if kind == "book":
        return _book(rest, original, services)
    if kind == "cancel":
        return Cancel(_ticket(rest))
    if kind == "status":
        return Status()
    if kind == "schedule":
        return Schedule(_facility_code(content))
    if kind == "checkin":
        return CheckIn()
    if kind == "confirm":
        return Confirm()
    if kind == "language":
        for word in content:
            if word in LANGUAGES:
                return SetLanguage(LANGUAGES[word])
        return Help()
    if kind == "stop":
        return Stop()
    if kind == "start":
        return Start()
    return Help()


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _SEPARATORS.sub(" ", text)
    words = []
    for word in text.split():
        # A dot or slash between words is a separator; inside a date it is not.
        words.extend(_PIECES.findall(word))
    return [word.strip("'-") or word for word in words]


def _keyword(word: str) -> str | None:
    if word in KEYWORDS:
        return KEYWORDS[word]
    bare = word.rstrip("0123456789")  # "antre2", "antri1"
    if bare in KEYWORDS and len(bare) >= 4:
        return KEYWORDS[bare]
    if len(word) >= 5:  # one typo in a long keyword; short words collide with real ones
        for keyword, kind in KEYWORDS.items():
            if len(keyword) >= 5 and _one_edit(word, keyword):
                return kind
    return None


def _split_keyword(
    words: list[str], services: Mapping[str, Sequence[str]]
) -> tuple[str | None, list[str]]:
    """The command kind and the words after the keyword (handles "antregigi" too)."""
    first = words[0]
    kind = _keyword(first)
    if kind is not None:
        return kind, words[1:]
    if first.startswith("cek") and len(first) > 3:  # "cekantrian"
        return "status", words[1:]
    for keyword, glued_kind in KEYWORDS.items():
        if glued_kind == "book" and len(keyword) >= 5 and first.startswith(keyword):
            tail = first[len(keyword) :]
            if _find_service([tail], services) is not None:
                return "book", [tail, *words[1:]]
    return None, words


def _book(rest: list[str], original: str, services: Mapping[str, Sequence[str]]) -> Book:
    name = None
    for index, word in enumerate(rest):
        if word in FOR_WORDS and index < len(rest) - 1:
            name = _name_after(original, word, rest[index + 1 :])
            rest = rest[:index]
            break
    day, rest = _find_day(rest)
    code = _facility_code(rest)
    found = _find_service(rest, services)
    return Book(service=found, day=day, facility_code=code, for_name=name)


def _find_day(words: list[str]) -> tuple[DayWord | None, list[str]]:
    for size in (2, 1):
        for index in range(len(words) - size + 1):
            phrase = " ".join(words[index : index + size])
            day = _day_word(phrase)
            if day is not None:
                return day, words[:index] + words[index + size :]
    return None, words


def _day_word(phrase: str) -> DayWord | None:
    if phrase in TODAY or phrase in ("hr ini", "hari ini", "hri ini"):
        return DayWord("today")
    if phrase in TOMORROW or phrase in ("besok pagi", "hari besok"):
        return DayWord("tomorrow")
    if phrase in DAY_AFTER:
        return DayWord("day_after")
    if phrase in WEEKDAYS:
        return DayWord("weekday", weekday=WEEKDAYS[phrase])
    match = _DATE.match(phrase)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            return DayWord("date", day=day, month=month)
    return None


def _facility_code(words: Iterable[str]) -> str | None:
    for word in words:
        if _FACILITY_CODE.match(word):
            return word
    return None


def _find_service(words: list[str], services: Mapping[str, Sequence[str]]) -> str | None:
    """The service code the words name: the longest exact phrase, else one typo away."""
    table = _service_table(services)
    for size in (3, 2, 1):
        for index in range(len(words) - size + 1):
            phrase = " ".join(words[index : index + size])
            if phrase in table:
                return table[phrase]
    for word in words:
        if len(word) >= 4:
            for synonym, code in table.items():
                if len(synonym) >= 4 and " " not in synonym and _one_edit(word, synonym):
                    return code
    return None


def _service_table(services: Mapping[str, Sequence[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, names in services.items():
        for name in (code, *names):
            key = " ".join(_words(name))
            if key:
                table.setdefault(key, code)
    return table


def _ticket(words: list[str]) -> str | None:
    joined = " ".join(words)
    for candidate in (joined, *words):
        match = _TICKET.match(candidate)
        if match:
            return f"{match.group(1).upper()}-{int(match.group(2)):03d}"
    return None


def _name_after(original: str, for_word: str, fallback: list[str]) -> str | None:
    """The name as typed (its case kept), from the text after UNTUK/FOR."""
    folded = unicodedata.normalize("NFKC", original)
    found = re.search(rf"(?i)(?<![^\W\d_]){re.escape(for_word)}(?![^\W\d_])(.*)$", folded)
    raw = found.group(1) if found else " ".join(fallback)
    name = " ".join(_NAME_DROP.sub(" ", raw).split()).strip(" .'-")
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        return None
    name = name[:MAX_NAME].strip(" .'-")
    return capitalised(name) if name.islower() or name.isupper() else name


def capitalised(name: str) -> str:
    """ "siti ni'mah" → "Siti Ni'mah" (str.title would write "Ni'Mah")."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in name.split())


def _language_alone(words: list[str]) -> Literal["id", "en"] | None:
    if len(words) == 1 and words[0] in ("english", "inggris", "indonesia"):
        return LANGUAGES[words[0]]
    return None


def _one_edit(word: str, target: str) -> bool:
    """Whether `word` is one insertion, deletion, substitution or swap away from `target`."""
    if word == target or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        first, second = diffs[0], diffs[-1]
        return (
            len(diffs) == 2
            and second == first + 1
            and word[first] == target[second]
            and word[second] == target[first]
        )
    shorter, longer = (word, target) if len(word) < len(target) else (target, word)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
