"""The sentence the waiting room hears for a call, in Indonesian words."""

from __future__ import annotations

import string
import wave
from pathlib import Path

import pytest

from antre import demo
from console.calls import spoken_call, spoken_files
from texts.voice import every_file, letter_file


@pytest.mark.parametrize(
    ("prefix", "number", "service", "said"),
    [
        ("A", 12, "Poli Umum", "Nomor antrean A dua belas, silakan ke Poli Umum"),
        ("B", 1, "Poli Gigi", "Nomor antrean B satu, silakan ke Poli Gigi"),
        ("C", 11, "Poli KIA", "Nomor antrean C sebelas, silakan ke Poli KIA"),
        ("A", 100, "Poli Umum", "Nomor antrean A seratus, silakan ke Poli Umum"),
        ("A", 215, "Poli Umum", "Nomor antrean A dua ratus lima belas, silakan ke Poli Umum"),
        # Two letters are said one by one, not read as a word.
        ("KB", 7, "Poli KB", "Nomor antrean K B tujuh, silakan ke Poli KB"),
    ],
)
def test_a_call_is_said_with_the_number_in_indonesian_words(
    prefix: str, number: int, service: str, said: str
) -> None:
    assert spoken_call(prefix, number, service) == said


def test_a_call_to_a_room_says_the_room() -> None:
    assert (
        spoken_call("A", 12, "Ruang Periksa 2")
        == "Nomor antrean A dua belas, silakan ke Ruang Periksa 2"
    )


# --- the sound files, for a TV without an Indonesian voice -------------------------------------

VOICE = Path(__file__).resolve().parent.parent / "console" / "static" / "voice"


def test_the_sound_files_say_the_call_word_by_word() -> None:
    assert spoken_files("B", 12, "Poli Gigi") == [
        "nomor-antrean", "huruf-b", "dua", "belas", "silakan-ke", "poli", "gigi",
    ]  # fmt: skip
    assert spoken_files("KB", 215, "Ruang Periksa 2") == [
        "nomor-antrean", "huruf-k", "huruf-b", "dua", "ratus", "lima", "belas",
        "silakan-ke", "ruang", "periksa", "dua",
    ]  # fmt: skip


def test_a_word_with_no_sound_file_is_spelled() -> None:
    # "Ruang" has its file; "Bedah" is no word of texts/voice.py: B, E, D, A, H.
    assert spoken_files("A", 1, "Ruang Bedah")[4:] == [
        "ruang", "huruf-b", "huruf-e", "huruf-d", "huruf-a", "huruf-h",
    ]  # fmt: skip


def _missing(files: list[str]) -> list[str]:
    return [name for name in files if not (VOICE / f"{name}.wav").is_file()]


def test_every_number_up_to_a_thousand_has_its_sound_files() -> None:
    for number in range(1001):
        assert _missing(spoken_files("A", number, "Poli Umum")) == [], number


def test_every_letter_and_every_poli_and_room_of_the_demo_has_its_sound_files() -> None:
    letters = [letter_file(letter) for letter in string.ascii_lowercase]
    assert _missing(letters) == []
    places = [spec.names["id"] for spec in demo.SERVICES] + list(demo.ROOMS)
    for place in places:
        files = spoken_files("A", 1, place)[4:]
        # Said as words, not spelled: no letter among them.
        assert [name for name in files if name.startswith("huruf-")] == [], place
        assert _missing(files) == [], place


def test_the_sound_files_are_small_mono_wav() -> None:
    files = sorted(VOICE.glob("*.wav"))
    assert {path.stem for path in files} == set(every_file())
    for path in files:
        with wave.open(str(path)) as sound:
            assert sound.getnchannels() == 1
            assert sound.getframerate() <= 11025
            assert 0.1 < sound.getnframes() / sound.getframerate() < 2.5, path.name
    assert sum(path.stat().st_size for path in files) < 1_000_000
