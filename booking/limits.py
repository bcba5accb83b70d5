"""How long and how large the things staff type may be, so every screen and SMS still fits.

Names are the tight ones: every USSD screen and SMS template is proved to fit 160 characters
with names of exactly these lengths (tests/test_ussd_screens.py, tests/test_sms_templates.py).
The columns are wider; these limits are what a phone screen leaves room for, so data longer
than them is refused on entry (the admin forms, and the models' own checks underneath).
"""

from __future__ import annotations

MAX_FACILITY_NAME = 32  # "Puskesmas Karang Tengah Cibodas" and longer real names, abbreviated
MAX_SERVICE_NAME = 24  # per language
MAX_DISTRICT_NAME = 42  # "Kabupaten Kepulauan Siau Tagulandang Biaro", the longest real one
MAX_PERSON_NAME = 30  # as booking.taking.clean_name allows

# Facility codes people type after the USSD code (*123*1001#) and in SMS ("ANTRE GIGI 1001").
# The SMS parser reads 4 to 6 digits as a facility code, so a code outside that range could be
# dialled but never texted.
MIN_FACILITY_CODE_DIGITS = 4
MAX_FACILITY_CODE_DIGITS = 6

MAX_SERVICE_CODE = 16  # A-Z and 0-9; SMS replies list codes ("codes" in the templates)
MAX_PREFIX = 2  # the letters before a ticket number: "A-012", "KB-007"
MAX_BPJS_POLI_CODE = 8
MAX_SYNONYMS = 200  # the whole comma-separated list, as the column holds
MAX_SYNONYM = 24  # one word or phrase of it
MAX_SYNONYM_WORDS = 3  # the SMS parser matches phrases of up to three words

MAX_SUBDISTRICT_NAME = 60  # never shown on a phone
MAX_DOCTOR_NAME = 60
MAX_HOLIDAY_NAME = 60

MIN_CAPACITY, MAX_CAPACITY = 1, 1000

LARGEST_ID = 2**31 - 1  # an INTEGER key: a larger id is no row, and PostgreSQL would raise

# Facility rules (design §3), with the bounds a careful facility would stay within.
MAX_DAYS_AHEAD = 7  # the USSD day screen lists every bookable day
MAX_CUTOFF_MINUTES = 12 * 60
MIN_MINUTES_PER_PATIENT, MAX_MINUTES_PER_PATIENT = 1, 240
MIN_PEOPLE_PER_PHONE, MAX_PEOPLE_PER_PHONE = 1, 20
MAX_ALMOST_TURN_AHEAD = 20  # 0 turns the "almost your turn" SMS off
MAX_ROOM_NAME = 30  # "Ruang Pemeriksaan Umum 2": shown on the waiting-room screen, said aloud
MAX_ROOMS = 30
MIN_PRIORITY_EVERY, MAX_PRIORITY_EVERY = 2, 20  # "every Nth call": 1 would be "first"


def within(what: str, value: str, limit: int) -> str:
    """`value` unchanged, or ValueError naming the limit (forms check first, with the same)."""
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters: {value!r}")
    return value
