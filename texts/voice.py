"""The words the waiting-room screen can say from sound files, for a TV whose browser has no
Indonesian voice: each file's name and the text espeak-ng's Indonesian voice read to make it
(texts/make_voice.py). A call is said as a sequence of them (console/calls.py)."""

from __future__ import annotations

# Said as one breath: split, they would sound like four separate words.
PHRASES = {
    "nomor-antrean": "nomor antrean",
    "silakan-ke": "silakan ke",
}

# The letters of a prefix ("A", "KB"), by their Indonesian names; files "huruf-a" … "huruf-z".
LETTERS = {
    "a": "a", "b": "be", "c": "ce", "d": "de", "e": "e", "f": "ef", "g": "ge", "h": "ha",
    "i": "i", "j": "je", "k": "ka", "l": "el", "m": "em", "n": "en", "o": "o", "p": "pe",
    "q": "ki", "r": "er", "s": "es", "t": "te", "u": "u", "v": "fe", "w": "we", "x": "eks",
    "y": "ye", "z": "zet",
}  # fmt: skip

# Every word num2words uses for 0 to 9999 in Indonesian.
NUMBERS = (
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
    "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu",
)  # fmt: skip

# The words of poli, room and counter names in puskesmas; abbreviations said letter by letter.
PLACES = {
    "poli": "poli", "loket": "loket", "ruang": "ruang", "ruangan": "ruangan",
    "periksa": "periksa", "pemeriksaan": "pemeriksaan", "pendaftaran": "pendaftaran",
    "umum": "umum", "gigi": "gigi", "mulut": "mulut", "anak": "anak", "ibu": "ibu",
    "lansia": "lansia", "gizi": "gizi", "imunisasi": "imunisasi", "laboratorium": "laboratorium",
    "lab": "lab", "farmasi": "farmasi", "apotek": "apotek", "obat": "obat",
    "kesehatan": "kesehatan", "jiwa": "jiwa", "mata": "mata", "tindakan": "tindakan",
    "konseling": "konseling", "sanitasi": "sanitasi", "persalinan": "persalinan",
    "bayi": "bayi", "balita": "balita", "remaja": "remaja", "gawat": "gawat",
    "darurat": "darurat", "kasir": "kasir", "dan": "dan",
    "kia": "ka i a", "kb": "ka be", "mtbs": "em te be es", "tb": "te be", "tbc": "te be ce",
    "ugd": "u ge de", "igd": "i ge de", "tht": "te ha te", "ptm": "pe te em", "hiv": "ha i fe",
    "ims": "i em es", "bp": "be pe", "pkpr": "pe ka pe er",
}  # fmt: skip


def letter_file(letter: str) -> str:
    return f"huruf-{letter.lower()}"


def every_file() -> dict[str, str]:
    """File name (no extension) → the text said in it."""
    return {
        **PHRASES,
        **{letter_file(letter): said for letter, said in LETTERS.items()},
        **{word: word for word in NUMBERS},
        **PLACES,
    }
