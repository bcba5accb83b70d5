"""The sentence the waiting room hears for a call, in Indonesian words."""

from __future__ import annotations

import pytest

from console.calls import spoken_call


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
