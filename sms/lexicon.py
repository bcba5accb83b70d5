"""The words of keyword SMS, as plain tables: what each word people text means to us.

Indonesian, Sundanese and Javanese (as written in Banten), English, slang, abbreviations.
Every entry is folded (lower case, no accents) and tested one by one
(tests/test_sms_lexicon.py). Multi-word entries are phrases, matched before single words.
"""

from __future__ import annotations

from collections.abc import Mapping

# --- days ------------------------------------------------------------------------------------
# Relative days: the word → "today" | "tomorrow" | "day_after".
RELATIVE_DAYS: Mapping[str, str] = {
    **dict.fromkeys(
        [
            # Indonesian and slang
            "hari ini", "hr ini", "hri ini", "hariini", "hrini", "hr ni", "hari ni", "ini hari",
            "sekarang", "skrg", "skrng", "skr", "skrang", "sekarng", "sekrang", "sekarang ini",
            # Sundanese: "ayeuna" (now), "dinten ieu"/"poe ieu" (this day)
            "ayeuna", "ayena", "dinten ieu", "poe ieu", "poe ayeuna",
            # Javanese: "saiki"/"siki" (now), "dina iki"/"dino iki" (this day)
            "saiki", "siki", "dina iki", "dino iki", "dinten niki",
            # English
            "today", "tdy", "now", "2day",
            # A time of day with "ini"/"nanti" is later today: "nanti sore", "pagi ini"
            "pagi ini", "siang ini", "sore ini", "malam ini", "nanti siang", "nanti sore",
            "ntar siang", "ntar sore", "ntr siang", "ntr sore", "entar siang", "entar sore",
            "hr nie", "hari nie", "sakniki", "mengko sore", "mengko awan", "engke sonten",
            "engke siang", "engke sore",
        ],
        "today",
    ),
    **dict.fromkeys(
        [
            # Indonesian and slang
            "besok", "bsk", "besuk", "esok", "bsok", "besk", "bsuk", "besog", "bsog", "bezok",
            "besoq", "bsq", "beso", "bso", "bsk pagi", "besok pagi", "hari besok", "esok hari",
            "bsok pagi", "hr besok", "hari esok",
            # Sundanese: "isukan" (tomorrow), "enjing" (tomorrow, polite); not "isuk", which is
            # "morning" in Serang Javanese
            "isukan", "isukna", "enjing",
            # Javanese: "sesuk"/"sesok" (tomorrow), "mbesuk", "benjing"/"mbenjang" (polite)
            "sesuk", "sesok", "ssk", "benjing", "mbenjing", "benjang",
            "mbenjang",
            # English
            "tomorrow", "tmrw", "tmr", "tmrow", "tomorow", "tommorow", "tommorrow", "tomoro",
            "2moro", "2morow", "2mrw", "tomorrow morning",
        ],
        "tomorrow",
    ),
    **dict.fromkeys(
        [
            "lusa", "lsa",
            # Sundanese "pageto"
            "pageto", "pagetona",
            "day after tomorrow",
        ],
        "day_after",
    ),
}  # fmt: skip

WEEKDAYS: Mapping[str, int] = {
    **dict.fromkeys(["senin", "sen", "snn", "senen", "monday", "mon"], 0),
    **dict.fromkeys(["selasa", "sel", "slasa", "slsa", "salasa", "seloso", "tuesday", "tue",
                     "tues"], 1),
    **dict.fromkeys(["rabu", "rab", "rebo", "wednesday", "wed"], 2),
    **dict.fromkeys(["kamis", "kam", "kms", "kemis", "thursday", "thu", "thurs"], 3),
    **dict.fromkeys(["jumat", "jum'at", "jmt", "jum", "jumah", "jemuah", "jumaah", "juma'ah",
                     "friday", "fri"], 4),
    **dict.fromkeys(["sabtu", "sab", "sbt", "saptu", "setu", "saturday", "sat"], 5),
    **dict.fromkeys(["minggu", "ahad", "mgg", "mingu", "sunday", "sun"], 6),
}  # fmt: skip

MONTHS: Mapping[str, int] = {
    **dict.fromkeys(["jan", "januari", "january"], 1),
    **dict.fromkeys(["feb", "peb", "februari", "pebruari", "february"], 2),
    **dict.fromkeys(["mar", "maret", "march"], 3),
    **dict.fromkeys(["apr", "april"], 4),
    **dict.fromkeys(["mei", "may"], 5),
    **dict.fromkeys(["jun", "juni", "june"], 6),
    **dict.fromkeys(["jul", "juli", "july"], 7),
    **dict.fromkeys(["agu", "agt", "agus", "agustus", "aug", "august"], 8),
    **dict.fromkeys(["sep", "sept", "september"], 9),
    **dict.fromkeys(["okt", "oct", "oktober", "october"], 10),
    **dict.fromkeys(["nov", "nop", "nopember", "november"], 11),
    **dict.fromkeys(["des", "dec", "desember", "december"], 12),
}

# Words that say "the number after me is a day of the month": "tgl 3", "tanggal 3/12".
DATE_WORDS = frozenset({"tgl", "tg", "tggl", "tanggal", "tangal", "tanggl", "date"})
# Words that say "the number after me is a time of day", not a day: "jam 8", "pukul 08.00".
TIME_WORDS = frozenset({"jam", "jm", "pukul", "pkl", "pk"})

# Words that sit where a day would and are known NOT to name one we can book: they are
# never read as a day, not even as a typo of one ("satu" is one letter from "sabtu").
NOT_DAYS = frozenset(
    {
        "minggu depan", "next week", "bulan depan", "nanti", "ntar", "entar", "kapan",
        "kapan2", "kapan saja", "kapan aja", "selama", "satu", "dua", "tiga", "lupa",
        "besok lusa", "kemarin", "kmrn", "kemaren", "kamu", "kami",
        # "the day after (some day)", "some day later": not plainly tomorrow
        "besoknya", "bsknya", "besok besok", "bsk bsk", "mbesuk", "mbesok",
    }
)  # fmt: skip

# --- commands --------------------------------------------------------------------------------
# The first word of a message says what it is: keyword → command kind.
KEYWORDS: Mapping[str, str] = {
    **dict.fromkeys(
        [
            "antre", "antri", "antrean", "antrian", "antreyan", "antrien", "ngantri", "ngantre",
            "daftar", "daptar", "ndaftar", "book", "booking", "queue", "ambil", "antrenya",
            "antriannya", "reservasi",
        ],
        "book",
    ),
    **dict.fromkeys(["batal", "batalkan", "batalin", "cancel", "btl", "btal", "batalkeun",
                     "hapus"], "cancel"),
    **dict.fromkeys(["cek", "check", "status", "posisi", "stat"], "status"),
    **dict.fromkeys(["jadwal", "info", "jdwl", "schedule", "kuota"], "schedule"),
    **dict.fromkeys(["hadir", "sampai", "datang", "checkin", "tiba", "arrived"], "checkin"),
    # YA/YES per the design; "ok"/"oke"/"iya" are how many people answer a reminder.
    **dict.fromkeys(["ya", "yes", "y", "iya", "ok", "oke", "okay", "siap"], "confirm"),
    **dict.fromkeys(["bahasa", "lang", "language", "bhs"], "language"),
    **dict.fromkeys(["stop", "berhenti", "unsubscribe", "unreg", "henti"], "stop"),
    **dict.fromkeys(["mulai", "start", "subscribe", "reg"], "start"),
    **dict.fromkeys(["bantuan", "help", "menu", "tolong", "bantu", "caranya"], "help"),
}  # fmt: skip

LANGUAGES: Mapping[str, str] = {
    **dict.fromkeys(["en", "eng", "english", "inggris", "ing"], "en"),
    **dict.fromkeys(["id", "ind", "indo", "indonesia", "indonesian", "bahasa"], "id"),
}

# Words that begin "for someone": UNTUK <name>. Before a day they only mean "for" ("untuk besok").
FOR_WORDS = frozenset({"untuk", "utk", "untk", "unt", "buat", "bwt", "for", "kanggo"})

# Who a booking is for, when it is not the sender: "untuk anak saya", "buat ibu", "utk cucu
# saya Siti". A relation is never the patient's name; the name, if any, follows it.
RELATIONS = frozenset(
    {
        # Indonesian, with the slang and the "-nya" forms people type
        "anak", "anaknya", "anakku", "ank", "putra", "putri", "putranya", "putrinya", "bayi",
        "bayinya", "dedek", "dede bayi", "dedek bayi", "adek bayi", "balita", "ibu", "ibunya",
        "ibuku", "mama", "mamah", "mamak", "emak", "mak", "bapak", "bapaknya",
        "bapakku", "bpk", "ayah", "ayahnya", "ayahku", "papa", "papah", "suami", "suaminya",
        "istri", "istrinya", "isteri", "bini", "adik", "adiknya", "adek", "kakak", "kakaknya",
        "abang", "cucu", "cucunya", "nenek", "neneknya", "kakek", "kakeknya", "mertua",
        "keponakan", "ponakan", "menantu", "mantu", "paman", "om", "bibi", "tante", "saudara",
        "sodara",
        "orang tua", "orangtua", "ortu", "keluarga", "teman", "temen", "tetangga",
        # Sundanese and Javanese
        "budak", "murangkalih", "pun anak", "ema", "abah", "bapa", "mbah", "embah", "simbah",
        "incu", "bojo", "garwa", "anake", "bocah", "rayi", "lanceuk",
        # oneself: "untuk saya sendiri" is the sender, no other name
        "sendiri", "diri sendiri", "myself",
        # English
        "child", "son", "daughter", "baby", "mother", "mom", "father", "dad", "wife",
        "husband", "grandchild", "grandmother", "grandfather",
    }
)  # fmt: skip
# Words around a relation that are not a name: whose ("anak saya"), which one ("yang kecil"),
# and the words that bring the name in ("namanya Sarmin", "atas nama Siti", "a.n. Dadang").
RELATION_WORDS = frozenset(
    {
        "saya", "sy", "aku", "ku", "aq", "gue", "gw", "kami", "abdi", "kula", "kulo", "isun",
        "nyong", "pun", "my", "our", "sendiri", "yang", "yg", "kecil", "besar", "gede", "pertama",
        "kedua", "ketiga", "bungsu", "sulung", "perempuan", "laki", "cewek", "cowok",
        "namanya", "nama", "nm", "bernama", "atas", "an", "a", "n", "si", "named", "name", "dan",
        "sama",
    }
)  # fmt: skip
# A word after a name that begins the patient's age ("Aisyah umur 9 bln"), and its units.
AGE_WORDS = frozenset({"umur", "umurnya", "usia", "usianya", "age", "aged"})
AGE_UNITS = frozenset(
    {"thn", "tahun", "th", "taun", "bln", "bulan", "bl", "yo", "years", "year", "months", "month"}
)

# Words that say "my BPJS card number follows": "KARTU 0001234567890", "no bpjs 000…".
# Alone ("antre umum bpjs") they only say the patient is insured: no number, nothing to read.
CARD_WORDS = frozenset(
    {"kartu", "krt", "kartunya", "bpjs", "jkn", "kis", "card", "no kartu", "nomor kartu",
     "nmr kartu", "no bpjs", "nomor bpjs", "kartu bpjs", "no kartu bpjs", "nomor kartu bpjs",
     "no jkn", "kartu jkn", "kartu kis", "no kis", "bpjs card", "card number", "noka"}
)  # fmt: skip
CARD_DIGITS = 13

# --- politeness and filler -------------------------------------------------------------------
# Words around the request that carry no meaning for us.
FILLER = frozenset(
    {
        # who and wanting
        "saya", "sy", "aku", "aq", "gue", "gw", "abdi", "kula", "mau", "mo", "ingin", "pengen",
        "pingin", "pgn", "hoyong", "arep", "ajeng", "minta", "mohon", "tolong", "tlg", "please",
        "pls", "plz", "plis", "dong", "donk", "deh", "nih", "sih", "ya", "yah", "yaa", "aja",
        "saja", "ajah", "lah", "kah", "nya", "kan", "kok", "mah", "teh", "euy", "atuh", "nggih",
        # addressing people
        "pak", "bu", "bapak", "ibu", "kak", "kakak", "mas", "mbak", "mba", "dok", "min", "admin",
        "gan", "sus", "suster", "bidan", "teteh", "akang", "kang", "aa",
        # asking politely, and "I" / "want" in Sundanese and Javanese
        "permisi", "maaf", "mohon maaf", "bade", "badhe", "nyuwun", "nyuhunkeun", "nyong",
        "kulo", "isun", "ngiring", "pengin", "ka",
        # greetings and thanks
        "halo", "hallo", "hai", "hi", "hello", "selamat", "pagi", "siang", "sore", "malam",
        "assalamualaikum", "assalamu'alaikum", "ass", "wr", "wb", "punten", "sampurasun",
        "terima", "kasih", "makasih", "mksh", "trims", "thx", "thanks", "nuhun", "hatur",
        "matur", "nuwun", "suwun",
        # places and things
        "ke", "di", "dan", "poli", "puskesmas", "pkm", "klinik", "at", "the", "a", "an", "to",
        "my", "no", "nomor", "nmr", "nomer", "antrian", "antrean", "queue", "number", "kode",
        "periksa", "berobat", "dokter", "sakit", "pada", "on", "in", "hari", "hr", "depan",
        "yang", "yg", "ini", "itu", "ada", "bisa", "bs", "gimana", "jadi",
    }
)  # fmt: skip
# A message of only these (and politeness) is someone saying hello or asking how it works:
# it gets the help reply. A question word with no booking keyword is a question, not a booking.
GREETINGS = frozenset(
    {"halo", "hallo", "hai", "hi", "hello", "selamat", "pagi", "siang", "sore", "malam",
     "assalamualaikum", "assalamu'alaikum", "ass", "punten", "sampurasun", "permisi", "p",
     "ping", "min", "admin"}
)  # fmt: skip
QUESTION_WORDS = frozenset(
    {"tanya", "nanya", "siapa", "berapa", "brp", "gimana", "bagaimana", "bgmn", "cara",
     "apakah", "kenapa"}
)  # fmt: skip
# Words that are a command alone but only politeness before another one ("tolong antre …").
LEADING = frozenset({"tolong", "tlg", "ya", "ok", "oke", "halo"})
# Words that end a name typed after UNTUK: politeness after it, not part of it.
AFTER_NAME = frozenset(
    {"ya", "yah", "dong", "deh", "nih", "ok", "oke", "terima", "makasih", "mksh", "thx",
     "thanks", "trims", "nuhun", "suwun", "please", "pls", "tolong", "tlg", "mohon"}
)  # fmt: skip

# Symbols people use for words.
EMOJI_WORDS: Mapping[str, str] = {"👍": "ok", "👌": "ok", "🆗": "ok", "✅": "ok"}

# --- answers to a reminder -------------------------------------------------------------------
# A reminder invites 1 (coming) or 9 (cancel); people also answer in words.
YES_WORDS = frozenset(
    {
        "ya", "iya", "iyaa", "iyah", "iye", "yes", "y", "yup", "yap", "ok", "oke", "okey",
        "okay", "okee", "okeh", "siap", "sip", "baik", "baiklah", "insyaallah", "insya allah",
        "insyallah", "inshaallah", "insha allah", "inshallah", "in sya allah", "datang",
        "dateng", "jadi", "jd", "tentu", "pasti", "bisa", "muhun", "sumuhun", "enya", "nggih",
        "inggih", "injih", "enggeh", "leres", "mangga", "otw", "sure", "coming", "will come",
        "hadir insya allah",
    }
)  # fmt: skip
CANCEL_WORDS = frozenset(
    {
        "batal", "batalkan", "batalin", "btl", "cancel", "gajadi", "gakjadi", "gkjd", "tdkjd",
        "berhalangan", "halangan", "moal", "moal sumping", "teu tiasa", "teu bisa",
        "ora sido", "ora sida", "ora iso", "ora teko", "mboten saged", "mboten sios",
        "not coming", "batalkeun",
    }
)  # fmt: skip
# "tidak"/"ga" before a yes-word turns it into a cancel: "ga jadi", "tdk bisa datang".
NEGATIONS = frozenset(
    {
        "ga", "gak", "gk", "g", "ngga", "nggak", "ngak", "enggak", "engga", "gag", "tidak",
        "tdk", "tak", "ndak", "nda", "ndag", "ora", "mboten", "teu", "henteu", "no", "not",
        "dont", "don't", "cant", "can't", "cannot", "usah",
    }
)  # fmt: skip
# After a session the facility cancelled: a new number in the next open session.
REBOOK_WORDS = frozenset(
    {"ganti", "pindah", "daftar lagi", "daftar ulang", "nomor baru", "jadwal baru", "mau",
     "rebook", "new number"}
)  # fmt: skip
