"""Keyword SMS → a command: a pure function of the text and the facility's service words.

People text in a hurry: any case, extra spaces, separators, glued words, filler ("mau",
"tolong", "poli"), regional words, abbreviations and typos; what each word means is in
`sms.lexicon`. The parser never raises and never looks at the calendar: days come back as
words for the caller. It never guesses either: a word it cannot place comes back in
`Book.unclear`, so that the caller asks instead of booking a day nobody named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from sms import answers, lexicon
from sms.words import Token, closest, segment, tokens

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
    """A booking request: what the text named. `other_days`: further day words, which the
    caller checks mean the same date; `unclear`: words we could not place (the caller asks)."""

    service: str | None
    day: DayWord | None
    facility_code: str | None
    for_name: str | None
    other_days: tuple[DayWord, ...] = ()
    unclear: tuple[str, ...] = ()
    card: str | None = None  # the digits after KARTU/BPJS, as typed: the caller checks them


@dataclass(frozen=True)
class Cancel:
    ticket: str | None
    in_words: bool = False  # read from ordinary words ("ga jadi"), not the BATAL keyword


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
    card: str | None = None  # a card number sent with the digit ("2 kartu 000…")


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

KEYWORDS = lexicon.KEYWORDS
FILLER = lexicon.FILLER

_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_TICKET = re.compile(r"^([a-z])\s*-?\s*(\d{1,4})$")
_FACILITY_CODE = re.compile(r"^\d{4,6}$")
_NAME_DROP = re.compile(r"[^\w .'\-]|[\d_]")
# Numbers this long are card or phone numbers: not a day, not a code, nothing to ask about.
_LONG_NUMBER = 7
_SECOND_COMMAND = frozenset({"book", "cancel", "status", "schedule"})
# Words skipped before the keyword: politeness, greetings, "tolong"/"ok" before a command.
_LEADING = FILLER | lexicon.LEADING | lexicon.GREETINGS


@dataclass(frozen=True)
class Sense:
    """What one word or phrase means: a day, a service, a month, filler or a known non-day."""

    kind: Literal["day", "service", "month", "filler", "not_day"]
    day: DayWord | None = None
    service: str | None = None
    rank: int = 0  # for services: 3 for the service's own code, 1 for a synonym
    month: int = 0


@dataclass(frozen=True)
class Vocabulary:
    exact: Mapping[str, Sense]  # words and phrases
    fuzzy: Mapping[str, Sense]  # single words long enough to carry a typo
    glue: frozenset[str]  # the words a glued run may be made of
    longest: int  # words in the longest phrase


def parse(text: str, services: Mapping[str, Sequence[str]] = DEFAULT_SERVICES) -> Command:
    """The command a text message asks for; `Unknown` when we cannot tell."""
    original = text[:MAX_TEXT].strip()
    if original and set(original.replace(" ", "")) == {"?"}:
        return Help()
    vocabulary = vocabulary_of(services)
    found = words_of(original, vocabulary)
    words = [token.text for token in found]
    if not words:
        return Unknown(original)
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 2:
        return Digit(int(words[0]))
    if _greeting_or_question(words):
        return Help()
    start = 0
    while start < len(words) - 1 and words[start] in _LEADING:
        start += 1
    kind = keyword(words[start])
    if kind is None and answers.meaning(original) == "cancel":
        return Cancel(_ticket(words), in_words=True)  # "ga jadi antre", "maaf saya batal datang"
    if kind is None:
        later = _keyword_after_a_day(found, start, vocabulary)
        if later is not None:  # "isukan antre kia", "untuk besok antre kia 1001"
            return read_request([*found[start:later], *found[later + 1 :]], vocabulary)
        request = read_request(found, vocabulary)
        if request.service is not None:
            return request
        language = _language_alone(words)
        return SetLanguage(language) if language else Unknown(original)
    rest = found[start + 1 :]
    if rest and rest[0].joined and rest[0].text.isdigit() and len(rest[0].text) == 1:
        rest = rest[1:]  # "antre2 gigi": a key pressed twice
    return _command(kind, rest, vocabulary)


def _greeting_or_question(words: list[str]) -> bool:
    """Only hello and politeness ("assalamualaikum", "halo min", "ini nomor puskesmas ya?"),
    or a question asked before any command ("berapa biayanya?", "cara daftar gimana?")."""
    polite = lexicon.GREETINGS | FILLER
    if all(word in polite or KEYWORDS.get(word) == "confirm" for word in words):
        return any(word in lexicon.GREETINGS for word in words) or len(words) >= 3
    for word in words:  # a question word before any command keyword
        if word in lexicon.QUESTION_WORDS:
            return True
        if KEYWORDS.get(word) in _SECOND_COMMAND and word not in FILLER:
            return False
    return False


def _keyword_after_a_day(found: Sequence[Token], start: int, vocabulary: Vocabulary) -> int | None:
    """The index of a booking keyword that only a day, "untuk" or politeness comes before."""
    words = [token.text for token in found]
    index = start
    seen_day = False
    while index < len(words):
        word = words[index]
        if KEYWORDS.get(word) == "book" and word not in FILLER:
            return index if seen_day else None
        size, sense = _phrase(words, index, vocabulary)
        if sense is not None and sense.kind == "day":
            seen_day = True
        elif not (word in FILLER or word in lexicon.FOR_WORDS):
            return None
        index += size
    return None


def words_of(text: str, vocabulary: Vocabulary) -> list[Token]:
    return tokens(text, lambda run: _unglue(run, vocabulary))


def _unglue(run: str, vocabulary: Vocabulary) -> list[str] | None:
    if run in vocabulary.exact or run in KEYWORDS or run in lexicon.FOR_WORDS:
        return [run]
    return segment(run, vocabulary.glue)


def _command(kind: str, rest: list[Token], vocabulary: Vocabulary) -> Command:
    content = [token.text for token in rest if token.text not in FILLER]
    if kind == "book":
        return read_request(rest, vocabulary)
    if kind == "cancel":
        ticket = _ticket([token.text for token in rest])
        # "BATAL" alone cancels the only number; "batal datang besok", "batal yg gigi" name
        # which one in words we do not match against the booking: ask instead.
        return Cancel(ticket, in_words=ticket is None and bool(content))
    if kind == "status":
        return Status()
    if kind == "schedule":
        return Schedule(next((word for word in content if _FACILITY_CODE.match(word)), None))
    if kind == "checkin":
        return CheckIn()
    if kind == "confirm":
        return Confirm()
    if kind == "language":
        for word in content:
            if word in lexicon.LANGUAGES:
                return SetLanguage("en" if lexicon.LANGUAGES[word] == "en" else "id")
        return Help()
    if kind == "stop":
        return Stop()
    if kind == "start":
        return Start()
    return Help()


def keyword(word: str) -> str | None:
    """The command kind a first word names, allowing typos in the longer keywords."""
    return closest(word, KEYWORDS, shortest=4)


# --- a booking request -----------------------------------------------------------------------


class _Reading:
    """The slots of a booking request, filled word by word."""

    def __init__(self) -> None:
        self.days: list[DayWord] = []
        self.services: list[tuple[str, int, str]] = []  # (code, rank, words)
        self.code: str | None = None
        self.name: str | None = None
        self.card: str | None = None
        self.unclear: list[str] = []

    def day(self, day: DayWord) -> None:
        if day not in self.days:
            self.days.append(day)

    def request(self) -> Book:
        service = None
        unclear = list(self.unclear)
        if self.services:
            best = max(rank for _, rank, _ in self.services)
            codes = {code for code, rank, _ in self.services if rank == best}
            if len(codes) == 1:
                service = codes.pop()
            else:  # two services named as plainly as each other: ask, do not pick one
                unclear += [words for _, rank, words in self.services if rank == best]
        return Book(
            service=service,
            day=self.days[0] if self.days else None,
            facility_code=self.code,
            for_name=self.name,
            other_days=tuple(self.days[1:]),
            unclear=tuple(unclear),
            card=self.card,
        )


def read_request(found: Sequence[Token], vocabulary: Vocabulary) -> Book:
    """The booking slots (service, day, facility code, name) the words fill, in any order."""
    reading = _Reading()
    words = [token.text for token in found]
    index = 0
    while index < len(words):
        word = words[index]
        if word in lexicon.FOR_WORDS:
            index = _for_someone(found, index + 1, vocabulary, reading)
            continue
        card = _card_words(words, index)
        if card:
            index = _card(words, index + card, reading)
            continue
        if index > 0 and KEYWORDS.get(word) in _SECOND_COMMAND and word not in FILLER:
            # A second command: not ours to read as part of this one, and not silently
            # dropped either. What follows it is unread, so a booking that names no day asks.
            reading.unclear.append(" ".join(words[index:]))
            break
        size, sense = _phrase(words, index, vocabulary)
        if sense is not None:
            _fill(reading, sense, " ".join(words[index : index + size]))
            index += size
            continue
        index = _number(words, index, reading)
    return reading.request()


def _card_words(words: list[str], index: int) -> int:
    """How many words at `index` say a card number follows ("no kartu bpjs": 3), else 0."""
    for size in (3, 2, 1):
        if " ".join(words[index : index + size]) in lexicon.CARD_WORDS:
            return size
    return 0


def _card(words: list[str], index: int, reading: _Reading) -> int:
    """The card number after a card word: one run of digits, or groups that make exactly 13
    ("0001 2345 6789 0"); otherwise the first run alone, so that a code after a short number
    stays a code. No digits after the word: it only said the patient has BPJS. The index after
    the number."""
    while index < len(words) and words[index] in FILLER:
        index += 1
    end, digits = index, ""
    while end < len(words) and words[end].isdigit() and len(digits) < lexicon.CARD_DIGITS:
        digits += words[end]
        end += 1
    if len(digits) != lexicon.CARD_DIGITS and end > index + 1:
        end, digits = index + 1, words[index]
    if digits and reading.card is None:
        reading.card = digits
    return end


def _phrase(words: list[str], index: int, vocabulary: Vocabulary) -> tuple[int, Sense | None]:
    for size in range(min(vocabulary.longest, len(words) - index), 0, -1):
        phrase = " ".join(words[index : index + size])
        if phrase in vocabulary.exact:
            return size, vocabulary.exact[phrase]
    word = words[index]
    if word.isdigit() or _DATE.match(word):
        return 1, None
    return 1, closest(word, vocabulary.fuzzy, shortest=1)


def _a_time(words: list[str], index: int) -> bool:
    """Whether the number at `index`, after "jam", is a time of day: "jam 8", "jam 0800 1001";
    not "jam 1001", where the only facility code of the text would be lost to it."""
    word = words[index] if index < len(words) else ""
    if not word[:1].isdigit():
        return False
    return not _FACILITY_CODE.match(word) or any(
        _FACILITY_CODE.match(w) for w in words[index + 1 :]
    )


def _fill(reading: _Reading, sense: Sense, words: str) -> None:
    if sense.kind == "day" and sense.day is not None:
        reading.day(sense.day)
    elif sense.kind == "service" and sense.service is not None:
        reading.services.append((sense.service, sense.rank, words))
    elif sense.kind in ("not_day", "month"):
        reading.unclear.append(words)


def _number(words: list[str], index: int, reading: _Reading) -> int:
    """Read the number-ish word at `index` (a code, a date, a time); the index after it."""
    word = words[index]
    before = words[index - 1] if index else ""
    after = words[index + 1] if index + 1 < len(words) else ""
    if before in lexicon.TIME_WORDS and _a_time(words, index):
        return index + 1  # "jam 8": a time of day, not a day
    match = _DATE.match(word)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            reading.day(DayWord("date", day=day, month=month))
        else:
            reading.unclear.append(word)
        return index + 1
    if word.isdigit() and len(word) <= 2:
        named = lexicon.MONTHS.get(after) or closest(after, lexicon.MONTHS, shortest=5)
        if named and 1 <= int(word) <= 31:
            reading.day(DayWord("date", day=int(word), month=named))
            following = words[index + 2] if index + 2 < len(words) else ""
            year = following.isdigit() and len(following) == 4 and following.startswith("20")
            return index + (3 if year else 2)
        if before in lexicon.DATE_WORDS and 1 <= int(word) <= 31:
            reading.day(DayWord("date", day=int(word)))
            return index + 1
        reading.unclear.append(word)
        return index + 1
    if _FACILITY_CODE.match(word):
        if reading.code is None:
            reading.code = word
        elif reading.code != word:
            reading.unclear.append(word)
        return index + 1
    if word.isdigit() and len(word) >= _LONG_NUMBER:
        return index + 1
    if word in lexicon.DATE_WORDS or word in lexicon.TIME_WORDS:
        if word in lexicon.TIME_WORDS:
            own_number = _a_time(words, index + 1)
        else:  # a day of the month, never a facility's code: "tgl 1001" says no day
            own_number = after[:1].isdigit() and not _FACILITY_CODE.match(after)
        if not own_number:  # "tgl" or "jam" with no number: the day is not said
            reading.unclear.append(word)
        return index + 1
    reading.unclear.append(word)
    return index + 1


def _for_someone(
    found: Sequence[Token], index: int, vocabulary: Vocabulary, reading: _Reading
) -> int:
    """UNTUK <name>: the name runs until a day, a code, a command or a closing politeness;
    before a day ("untuk besok", "buat bsk") it is no name at all. A relation ("anak saya",
    "ibu", "cucu saya yang kecil") is no name either: the name is what follows it, if anything
    ("buat ibu saya Maemunah"). The index after the name."""
    words = [token.text for token in found]
    if index < len(words) and (
        _names_a_day(words, index, vocabulary) or _names_a_service(words, index, vocabulary)
    ):
        return index  # "untuk besok", "untuk gigi": what it is for, not whom
    begin = _past_relation(words, index)
    related = begin > index
    end = begin
    while end < len(words):
        word = words[end]
        if (
            _names_a_day(words, end, vocabulary)
            or _FACILITY_CODE.match(word)
            or word in lexicon.AFTER_NAME
            or word in lexicon.AGE_WORDS
            or _card_words(words, end)
            or _relation_at(words, end)
            or KEYWORDS.get(word) in _SECOND_COMMAND
            or word in lexicon.FOR_WORDS
            # after a relation, politeness is not the start of a name ("anak saya ya")
            or (related and (word in FILLER or word in lexicon.RELATION_WORDS))
        ):
            break
        end += 1
    typed = [("-" if token.hyphened else " ") + token.raw for token in found[begin:end]]
    name = _name(["".join(typed).strip()])
    if name is not None and reading.name is None:
        reading.name = name
    return _past_age(words, _past_relation(words, end))


def _relation_at(words: list[str], index: int) -> int:
    """How many words a relation at `index` takes ("dedek bayi": 2), 0 for none."""
    if " ".join(words[index : index + 2]) in lexicon.RELATIONS and index + 1 < len(words):
        return 2
    return 1 if words[index] in lexicon.RELATIONS else 0


def _past_relation(words: list[str], index: int) -> int:
    """The index after a relation and the words around it ("anak saya yg kecil namanya")."""
    if index >= len(words) or not (
        words[index] in lexicon.RELATION_WORDS or _relation_at(words, index)
    ):
        return index
    end = index
    seen = False
    while end < len(words):
        size = _relation_at(words, end)
        if size:
            seen, end = True, end + size
        elif words[end] in lexicon.RELATION_WORDS or (seen and words[end] in FILLER):
            end += 1
        else:
            break
    return end if seen else index


def _past_age(words: list[str], index: int) -> int:
    """The index after an age ("umur 9 bln", "usia 2 thn"): it is about the patient, no slot."""
    if index >= len(words) or words[index] not in lexicon.AGE_WORDS:
        return index
    index += 1
    if index < len(words) and words[index].isdigit() and len(words[index]) <= 3:
        index += 1
        if index < len(words) and words[index] in lexicon.AGE_UNITS:
            index += 1
    return index


def _names_a_service(words: list[str], index: int, vocabulary: Vocabulary) -> bool:
    """A service named after UNTUK ("untuk gigi", "buat ibu hamil"); a relation alone that is
    also a service word ("mother") is the relation."""
    size, sense = _phrase(words, index, vocabulary)
    if sense is None or sense.kind != "service" or words[index] not in vocabulary.exact:
        return False
    return size > 1 or _relation_at(words, index) == 0


def _names_a_day(words: list[str], index: int, vocabulary: Vocabulary) -> bool:
    word = words[index]
    if word in lexicon.DATE_WORDS or word in lexicon.TIME_WORDS or _DATE.match(word):
        return True
    for size in range(min(vocabulary.longest, len(words) - index), 0, -1):
        sense = vocabulary.exact.get(" ".join(words[index : index + size]))
        if sense is not None and sense.kind == "day":
            return True
    return False


def _name(raw: list[str]) -> str | None:
    """The name as typed (its case kept)."""
    name = " ".join(_NAME_DROP.sub(" ", " ".join(raw)).split()).strip(" .'-")
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        return None
    name = name[:MAX_NAME].strip(" .'-")
    return capitalised(name) if name.islower() or name.isupper() else name


def capitalised(name: str) -> str:
    """ "siti ni'mah" → "Siti Ni'mah" (str.title would write "Ni'Mah"), "al-farizi" →
    "Al-Farizi"."""
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in name.split()
    )


# --- the vocabulary --------------------------------------------------------------------------


def vocabulary_of(services: Mapping[str, Sequence[str]]) -> Vocabulary:
    return _vocabulary(tuple((code, tuple(names)) for code, names in services.items()))


@lru_cache(maxsize=256)
def _vocabulary(services: tuple[tuple[str, tuple[str, ...]], ...]) -> Vocabulary:
    exact: dict[str, Sense] = {}
    for word in FILLER:
        exact[word] = Sense("filler")
    for word in lexicon.NOT_DAYS:
        exact[word] = Sense("not_day")
    for word, month in lexicon.MONTHS.items():
        exact[word] = Sense("month", month=month)
    service_senses: dict[str, Sense] = {}
    for code, names in services:
        folded_code = _folded(code)
        for name in (code, *names):
            key = _folded(name)
            rank = 3 if key == folded_code else 1
            known = service_senses.get(key)
            if key and (known is None or known.rank < rank):
                service_senses[key] = Sense("service", service=code, rank=rank)
    exact.update(service_senses)
    for word, weekday in lexicon.WEEKDAYS.items():
        exact[word] = Sense("day", DayWord("weekday", weekday=weekday))
    for word, kind in lexicon.RELATIVE_DAYS.items():
        exact[word] = Sense("day", DayWord(_day_kind(kind)))
    fuzzy: dict[str, Sense] = {}
    for word, sense in exact.items():
        # Short day words are one typo from names and common words ("ahad"/"ahmad",
        # "lusa"/"lupa"): only days of five letters or more are read through a typo.
        shortest = {"day": 5, "service": 4, "filler": 5, "not_day": 4, "month": 99}[sense.kind]
        if len(word) >= shortest and " " not in word and word.isalpha():
            fuzzy[word] = Sense("service", service=sense.service) if sense.service else sense
    glue = frozenset(
        word
        for word, sense in exact.items()
        if " " not in word
        and word.isalpha()
        and (sense.kind in ("day", "service") and (len(word) >= 3 or sense.kind == "service"))
    ) | frozenset(word for word in KEYWORDS if len(word) >= 3)
    longest = max(len(phrase.split()) for phrase in exact)
    return Vocabulary(exact=exact, fuzzy=fuzzy, glue=glue, longest=longest)


def _folded(name: str) -> str:
    return " ".join(token.text for token in tokens(name))


def _day_kind(kind: str) -> DayKind:
    if kind == "today":
        return "today"
    return "tomorrow" if kind == "tomorrow" else "day_after"


def _ticket(words: list[str]) -> str | None:
    content = [word for word in words if word not in FILLER]
    pairs = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]
    for candidate in (" ".join(content), *words, *pairs):
        match = _TICKET.match(candidate)
        if match:
            return f"{match.group(1).upper()}-{int(match.group(2)):03d}"
    return None


def _language_alone(words: list[str]) -> Literal["id", "en"] | None:
    if len(words) == 1 and words[0] in ("english", "inggris", "indonesia"):
        return "en" if lexicon.LANGUAGES[words[0]] == "en" else "id"
    return None


def read_answer(
    text: str, services: Mapping[str, Sequence[str]] = DEFAULT_SERVICES
) -> Book | Digit | None:
    """The text read as the answer to a question about a booking: a digit, or the slots it
    fills (a day, a service, a code), with or without a booking keyword; None for another
    command."""
    vocabulary = vocabulary_of(services)
    found = words_of(text[:MAX_TEXT], vocabulary)
    words = [token.text for token in found]
    if not words:
        return None
    card_at = next((i for i in range(len(words)) if _card_words(words, i)), len(words))
    content = [
        word
        for word in words[:card_at]  # a card number is no choice: "2 kartu 0001234567890"
        if word not in FILLER and word not in lexicon.AFTER_NAME
    ]
    if content and content[0].isdigit() and len(content[0]) <= 2:
        if sum(word.isdigit() and len(word) <= 2 for word in content) == 1:
            card = read_request(found[card_at:], vocabulary).card if card_at < len(words) else None
            return Digit(int(content[0]), card)  # "2 aja", "1 ya", "no 1"
        return Book(None, None, None, None, unclear=tuple(content))  # "1, 2": which?
    start = 0
    while start < len(words) - 1 and words[start] in FILLER:
        start += 1
    kind = keyword(words[start])
    if kind is None:
        return read_request(found, vocabulary)
    return read_request(found[start + 1 :], vocabulary) if kind == "book" else None


def has_keyword(text: str, services: Mapping[str, Sequence[str]] = DEFAULT_SERVICES) -> bool:
    """Whether the text begins (after politeness) with a command keyword."""
    words = [token.text for token in words_of(text[:MAX_TEXT], vocabulary_of(services))]
    start = 0
    while start < len(words) - 1 and words[start] in _LEADING:
        start += 1
    return bool(words) and keyword(words[start]) is not None
