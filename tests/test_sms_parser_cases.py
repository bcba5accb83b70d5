"""Messages as people really text them → the command the parser reads (design §5)."""

from __future__ import annotations

import pytest

from sms.parser import (
    Book,
    Cancel,
    CheckIn,
    Command,
    Confirm,
    DayWord,
    Digit,
    Help,
    Schedule,
    SetLanguage,
    Start,
    Status,
    Stop,
    Unknown,
    parse,
)

TODAY = DayWord("today")
TOMORROW = DayWord("tomorrow")
LUSA = DayWord("day_after")
CARD = "0001234567890"


def book(
    service: str | None = None,
    day: DayWord | None = None,
    code: str | None = None,
    name: str | None = None,
) -> Book:
    return Book(service=service, day=day, facility_code=code, for_name=name)


def weekday(n: int) -> DayWord:
    return DayWord("weekday", weekday=n)


def date(day: int, month: int) -> DayWord:
    return DayWord("date", day=day, month=month)


CASES: list[tuple[str, Command]] = [
    # The design's own example and its spellings.
    ("ANTRE GIGI BESOK", book("GIGI", TOMORROW)),
    ("antre gigi besok", book("GIGI", TOMORROW)),
    ("Antre Gigi Besok", book("GIGI", TOMORROW)),
    ("ANTRI GIGI BESOK", book("GIGI", TOMORROW)),
    ("ANTREAN GIGI BESOK", book("GIGI", TOMORROW)),
    ("ANTRIAN GIGI BESOK", book("GIGI", TOMORROW)),
    ("DAFTAR GIGI BESOK", book("GIGI", TOMORROW)),
    ("BOOK GIGI BESOK", book("GIGI", TOMORROW)),
    ("  antre   gigi    besok  ", book("GIGI", TOMORROW)),
    ("antre#gigi#besok", book("GIGI", TOMORROW)),
    ("ANTRE*GIGI*BESOK", book("GIGI", TOMORROW)),
    ("antre.gigi.besok", book("GIGI", TOMORROW)),
    ("antre,gigi,besok", book("GIGI", TOMORROW)),
    ("antre gigi besok.", book("GIGI", TOMORROW)),
    ("antre: gigi; besok!", book("GIGI", TOMORROW)),
    ("antre gigi bsk", book("GIGI", TOMORROW)),
    ("antre gigi besuk", book("GIGI", TOMORROW)),
    ("antre gigi esok", book("GIGI", TOMORROW)),
    ("antri gigi bsok", book("GIGI", TOMORROW)),
    # Days.
    ("antre umum hari ini", book("UMUM", TODAY)),
    ("antre umum hr ini", book("UMUM", TODAY)),
    ("antre umum hariini", book("UMUM", TODAY)),
    ("antre umum skrg", book("UMUM", TODAY)),
    ("antre umum sekarang", book("UMUM", TODAY)),
    ("antre umum lusa", book("UMUM", LUSA)),
    ("antre umum senin", book("UMUM", weekday(0))),
    ("antre umum selasa", book("UMUM", weekday(1))),
    ("antre umum rabu", book("UMUM", weekday(2))),
    ("antre umum kamis", book("UMUM", weekday(3))),
    ("antre umum jumat", book("UMUM", weekday(4))),
    ("antre umum jum'at", book("UMUM", weekday(4))),
    ("antre umum sabtu", book("UMUM", weekday(5))),
    ("antre umum minggu", book("UMUM", weekday(6))),
    ("antre umum ahad", book("UMUM", weekday(6))),
    ("book general monday", book("UMUM", weekday(0))),
    ("book general fri", book("UMUM", weekday(4))),
    ("antre umum 24/11", book("UMUM", date(24, 11))),
    ("antre umum 24-11", book("UMUM", date(24, 11))),
    ("antre umum 24.11", book("UMUM", date(24, 11))),
    ("antre umum 5/1/2027", book("UMUM", date(5, 1))),
    ("antre umum 05/01/27", book("UMUM", date(5, 1))),
    ("antre umum 31/02", book("UMUM", date(31, 2))),  # the caller knows the calendar
    ("antre umum 45/13", Book("UMUM", None, None, None, unclear=("45/13",))),
    ("antre umum", book("UMUM")),
    ("antre gigi", book("GIGI")),
    ("antre", book()),
    ("ANTRE", book()),
    ("daftar", book()),
    # Facility codes.
    ("antre gigi besok 1001", book("GIGI", TOMORROW, "1001")),
    ("antre 1001 gigi besok", book("GIGI", TOMORROW, "1001")),
    ("ANTRE GIGI 1001", book("GIGI", None, "1001")),
    ("antre umum hari ini 2101", book("UMUM", TODAY, "2101")),
    ("antre kia bsk pkm 1001", book("KIA", TOMORROW, "1001")),
    ("antre kia bsk puskesmas 1001", book("KIA", TOMORROW, "1001")),
    ("antre 1001", book(None, None, "1001")),
    # Three digits is no facility code, and not a day: the caller asks.
    ("antre gigi 123", Book("GIGI", None, None, None, unclear=("123",))),
    # For someone else.
    ("ANTRE GIGI BESOK UNTUK BUDI", book("GIGI", TOMORROW, name="Budi")),
    ("antre gigi besok untuk siti aminah", book("GIGI", TOMORROW, name="Siti Aminah")),
    ("antre gigi besok utk ibu siti", book("GIGI", TOMORROW, name="Siti")),
    ("antre gigi besok buat anak saya rina", book("GIGI", TOMORROW, name="Rina")),
    ("antre kia besok untuk Dewi Lestari", book("KIA", TOMORROW, name="Dewi Lestari")),
    ("book dental tomorrow for John Smith", book("GIGI", TOMORROW, name="John Smith")),
    ("book dental tomorrow FOR MARY", book("GIGI", TOMORROW, name="Mary")),
    ("antre gigi besok 1001 untuk budi", book("GIGI", TOMORROW, "1001", "Budi")),
    ("antre gigi untuk budi", book("GIGI", None, name="Budi")),
    ("antre gigi besok untuk", book("GIGI", TOMORROW)),
    ("antre gigi besok untuk 123", book("GIGI", TOMORROW)),
    ("antre gigi besok untuk pak darto", book("GIGI", TOMORROW, name="Pak Darto")),
    ("antre umum besok untuk nenek ijah", book("UMUM", TOMORROW, name="Ijah")),
    ("antre umum untuk ni'mah", book("UMUM", name="Ni'mah")),
    # A hyphen inside a name stays; between words it separates them.
    ("antre gigi utk Fauzan Al-Farizi bsk", book("GIGI", TOMORROW, name="Fauzan Al-Farizi")),
    ("antre umum besok untuk siti-aminah", book("UMUM", TOMORROW, name="Siti-Aminah")),
    ("antre-umum-besok untuk Siti", book("UMUM", TOMORROW, name="Siti")),
    ("antre umum untuk Siti-besok", book("UMUM", TOMORROW, name="Siti")),
    ("antre umum untuk a", book("UMUM")),
    # A relation is not a name: no name, or the name that follows it. It never takes a day,
    # a code or a second command with it.
    ("ANTRE UMUM BESOK UNTUK ANAK SAYA", book("UMUM", TOMORROW)),
    ("antre umum besok buat ibu saya", book("UMUM", TOMORROW)),
    ("antre gigi utk bapak", book("GIGI")),
    ("antre umum untuk cucu saya Siti besok", book("UMUM", TOMORROW, name="Siti")),
    ("antre kia buat istri 1001 besok", book("KIA", TOMORROW, "1001")),
    ("antre umum untuk anaknya besok 1001", book("UMUM", TOMORROW, "1001")),
    ("antre imunisasi buat dedek bayi besok", book("IMUNISASI", TOMORROW)),
    ("antre umum untuk anak saya yg kecil besok", book("UMUM", TOMORROW)),
    ("antre lansia buat orang tua saya lusa", book("LANSIA", LUSA)),
    ("antre lansia buat bapak, namanya Sarmin, besok", book("LANSIA", TOMORROW, name="Sarmin")),
    ("antre umum utk suami sy a.n. Dadang bsk", book("UMUM", TOMORROW, name="Dadang")),
    ("antre imunisasi buat Aisyah umur 9 bln besok", book("IMUNISASI", TOMORROW, name="Aisyah")),
    ("antre umum untuk Siti anak saya besok", book("UMUM", TOMORROW, name="Siti")),
    ("antre umum besok untuk saya sendiri", book("UMUM", TOMORROW)),
    ("antre gigi buat emak senin", book("GIGI", weekday(0))),
    ("antre umum kanggo simbah sesuk", book("UMUM", TOMORROW)),
    ("antre umum untuk budak abdi enjing", book("UMUM", TOMORROW)),
    ("book general tomorrow for my son", book("UMUM", TOMORROW)),
    # A BPJS card number: the digits after KARTU/BPJS (the handler checks there are 13).
    ("ANTRE UMUM BESOK KARTU 0001234567890", Book("UMUM", TOMORROW, None, None, card=CARD)),
    ("antre umum besok bpjs 0001234567890 1001", Book("UMUM", TOMORROW, "1001", None, card=CARD)),
    ("antre umum no kartu 0001 2345 6789 0 bsk", Book("UMUM", TOMORROW, None, None, card=CARD)),
    ("antre umum besok kartu 12345 1001", Book("UMUM", TOMORROW, "1001", None, card="12345")),
    ("antre umum besok bpjs", book("UMUM", TOMORROW)),
    ("antre umum untuk ibu saya kartu 0001234567890", Book("UMUM", None, None, None, card=CARD)),
    (
        "antre umum buat suami saya batal A-012",
        Book("UMUM", None, None, None, unclear=("batal a-012",)),
    ),
    # Filler words and how people start a message.
    ("saya mau antri gigi besok", book("GIGI", TOMORROW)),
    ("sy mau antri poli gigi besok", book("GIGI", TOMORROW)),
    ("mau antre poli umum hr ini", book("UMUM", TODAY)),
    ("tolong antre gigi besok", book("GIGI", TOMORROW)),
    ("tlg antri umum bsk", book("UMUM", TOMORROW)),
    ("pak mau daftar poli gigi besok", book("GIGI", TOMORROW)),
    ("halo mau antri umum besok", book("UMUM", TOMORROW)),
    ("selamat pagi mau antri gigi", book("GIGI")),
    ("aku mau ngantri gigi besok", book("GIGI", TOMORROW)),
    ("please book dental tomorrow", book("GIGI", TOMORROW)),
    ("pls book general today", book("UMUM", TODAY)),
    ("antre ke poli gigi besok dong", book("GIGI", TOMORROW)),
    ("antre di pkm gigi besok ya", book("GIGI", TOMORROW)),
    ("antre poli gigi besok pagi", book("GIGI", TOMORROW)),
    # Services by their synonyms.
    ("antre dokter gigi besok", book("GIGI", TOMORROW)),
    ("antre dental besok", book("GIGI", TOMORROW)),
    ("book dentist tomorrow", book("GIGI", TOMORROW)),
    ("antre ibu dan anak besok", book("KIA", TOMORROW)),
    ("antre ibu hamil besok", book("KIA", TOMORROW)),
    ("antre hamil besok", book("KIA", TOMORROW)),
    ("antre bidan besok", book("KIA", TOMORROW)),
    ("antre kb besok", book("KB", TOMORROW)),
    ("antre imunisasi besok", book("IMUNISASI", TOMORROW)),
    ("antre vaksin bsk", book("IMUNISASI", TOMORROW)),
    ("antre lansia besok", book("LANSIA", TOMORROW)),
    ("antre posbindu besok", book("LANSIA", TOMORROW)),
    ("antre tbc besok", book("TB", TOMORROW)),
    ("antre gizi besok", book("GIZI", TOMORROW)),
    ("antre balita besok", book("MTBS", TOMORROW)),
    ("antre bp hari ini", book("UMUM", TODAY)),
    ("antre general today", book("UMUM", TODAY)),
    # One-letter typos, in keywords and in services.
    ("antr gigi besok", book("GIGI", TOMORROW)),
    ("anre gigi besok", book("GIGI", TOMORROW)),
    ("antee gigi besok", book("GIGI", TOMORROW)),
    ("antrw gigi besok", book("GIGI", TOMORROW)),
    ("natre gigi besok", book("GIGI", TOMORROW)),
    ("antrian gigii besok", book("GIGI", TOMORROW)),
    ("antre imunisas besok", book("IMUNISASI", TOMORROW)),
    ("antre lansai besok", book("LANSIA", TOMORROW)),
    ("antre umun besok", book("UMUM", TOMORROW)),
    ("daftr umum besok", book("UMUM", TOMORROW)),
    # Seven letters may carry two typos; a booking without a service is then asked about.
    ("bkokign", book()),
    ("bkkgn", Unknown("bkkgn")),  # three are too many
    # Glued and repeated.
    ("antregigi besok", book("GIGI", TOMORROW)),
    ("antrigigi", book("GIGI")),
    ("ANTRE2 GIGI BESOK", book("GIGI", TOMORROW)),
    ("antriumum hr ini", book("UMUM", TODAY)),
    # Without the keyword, a service word still books.
    ("gigi besok", book("GIGI", TOMORROW)),
    ("poli gigi besok", book("GIGI", TOMORROW)),
    ("umum hari ini 1001", book("UMUM", TODAY, "1001")),
    # Cancel.
    ("BATAL", Cancel(None)),
    ("batal", Cancel(None)),
    ("BATAL A-012", Cancel("A-012")),
    ("batal a-012", Cancel("A-012")),
    ("batal a012", Cancel("A-012")),
    ("batal a12", Cancel("A-012")),
    ("batal a 12", Cancel("A-012")),
    ("batal B-3", Cancel("B-003")),
    ("batal antrean A-012", Cancel("A-012")),
    ("batalkan a-012", Cancel("A-012")),
    ("batalin nomor saya", Cancel(None)),
    ("btl", Cancel(None)),
    ("btl c7", Cancel("C-007")),
    ("CANCEL", Cancel(None)),
    ("cancel A-1", Cancel("A-001")),
    ("cnacel", Cancel(None)),
    ("bataal", Cancel(None)),
    ("saya mau batal", Cancel(None)),
    ("batal#a#12", Cancel("A-012")),
    # Status.
    ("CEK", Status()),
    ("cek", Status()),
    ("cek antrian", Status()),
    ("cek antrean saya", Status()),
    ("cekantrian", Status()),
    ("STATUS", Status()),
    ("status antrian", Status()),
    ("check", Status()),
    ("posisi", Status()),
    # Schedule.
    ("JADWAL", Schedule(None)),
    ("jadwal 1001", Schedule("1001")),
    ("jadwal poli 1001", Schedule("1001")),
    ("INFO", Schedule(None)),
    ("info 2101", Schedule("2101")),
    ("jdwl", Schedule(None)),
    ("jadwl", Schedule(None)),
    # Check-in and confirmation.
    ("HADIR", CheckIn()),
    ("hadir", CheckIn()),
    ("sudah hadir", Unknown("sudah hadir")),
    ("saya hadir", CheckIn()),
    ("sampai", CheckIn()),
    ("YA", Confirm()),
    ("ya", Confirm()),
    ("Ya.", Confirm()),
    ("YES", Confirm()),
    ("iya", Confirm()),
    ("ok", Confirm()),
    # Language.
    ("BAHASA EN", SetLanguage("en")),
    ("bahasa english", SetLanguage("en")),
    ("bahasa inggris", SetLanguage("en")),
    ("LANG ID", SetLanguage("id")),
    ("lang en", SetLanguage("en")),
    ("language english", SetLanguage("en")),
    ("bahasa indonesia", SetLanguage("id")),
    ("bahasa", Help()),
    ("english", SetLanguage("en")),
    # Opt-out and back.
    ("STOP", Stop()),
    ("stop", Stop()),
    ("BERHENTI", Stop()),
    ("unreg", Stop()),
    ("MULAI", Start()),
    ("START", Start()),
    # Help.
    ("BANTUAN", Help()),
    ("help", Help()),
    ("?", Help()),
    ("??", Help()),
    ("tolong", Help()),
    ("menu", Help()),
    # Numeric replies to reminders.
    ("1", Digit(1)),
    ("9", Digit(9)),
    (" 1 ", Digit(1)),
    ("1.", Digit(1)),
    ("12", Digit(12)),
    ("123", Unknown("123")),
    # Not understood: a friendly reply, never a guess.
    ("halo", Help()),
    ("terima kasih", Unknown("terima kasih")),
    ("antar barang besok", Unknown("antar barang besok")),
    ("p", Help()),
    ("", Unknown("")),
    ("   ", Unknown("")),
    ("😀", Unknown("😀")),
    ("apa kabar", Unknown("apa kabar")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text or "<empty>" for text, _ in CASES])
def test_messages_people_send_read_as_the_command_they_mean(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_the_case_table_covers_at_least_150_messages() -> None:
    assert len(CASES) >= 150


def test_services_come_from_the_facility_own_words() -> None:
    services = {"GIGI": ["gigi"], "JIWA": ["kesehatan jiwa", "jiwa", "psikolog"]}
    assert parse("antre psikolog besok", services) == book("JIWA", TOMORROW)
    assert parse("antre kesehatan jiwa besok", services) == book("JIWA", TOMORROW)
    # A service this facility does not have is a word we cannot place: the caller asks.
    assert parse("antre kia besok", services) == Book(None, TOMORROW, None, None, unclear=("kia",))
