"""What the waiting room hears when a number is called: one sentence in Indonesian, and the
same sentence as a sequence of sound files for a TV without an Indonesian speech voice."""

from __future__ import annotations

import re

from num2words import num2words

from texts.voice import PLACES, letter_file

_WORDS = re.compile(r"[^\W\d_]+|\d+")


def spoken_call(prefix: str, number: int, place: str) -> str:
    """ "Nomor antrean A dua belas, silakan ke Poli Umum" (or "… ke Ruang Periksa 2"): the
    letter, then the number in words (a speech voice reads "012" as digits or as a date, not
    as a queue number)."""
    return f"Nomor antrean {' '.join(prefix)} {_number(number)}, silakan ke {place}"


def spoken_files(prefix: str, number: int, place: str) -> list[str]:
    """The sound files (texts/voice.py) that say `spoken_call`, one after the other.

    A word of the place with no file of its own (an unusual poli name) is spelled letter by
    letter: the patient still hears where to go, which skipping it would lose.
    """
    files = ["nomor-antrean", *(letter_file(letter) for letter in prefix)]
    files += _number(number).split()
    files.append("silakan-ke")
    for word in _WORDS.findall(place):
        if word.isdigit():
            files += _number(int(word)).split()
        elif word.lower() in PLACES:
            files.append(word.lower())
        else:
            files += [letter_file(letter) for letter in word if letter.isascii()]
    return files


def _number(number: int) -> str:
    return str(num2words(number, lang="id"))
