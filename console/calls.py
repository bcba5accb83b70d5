"""What the waiting room hears when a number is called: one sentence in Indonesian."""

from __future__ import annotations

from num2words import num2words


def spoken_call(prefix: str, number: int, service: str) -> str:
    """ "Nomor antrean A dua belas, silakan ke Poli Umum": the letter, then the number in
    words (a speech voice reads "012" as digits or as a date, not as a queue number)."""
    words = num2words(number, lang="id")
    return f"Nomor antrean {' '.join(prefix)} {words}, silakan ke {service}"
