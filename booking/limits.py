"""How long and how large the things staff type may be, so every screen and SMS still fits.

Names are the tight ones: every USSD screen and SMS template must stay within 160 characters
with the longest real data, and the templates hold a facility name of 32 characters and a
service name of 24 (tests/test_sms_templates.py checks them with exactly these lengths).
Other modules (the admin forms, the USSD length tests) read the limits from here.
"""

from __future__ import annotations

MAX_FACILITY_NAME = 32
MAX_SERVICE_NAME = 24

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

MAX_PLACE_NAME = 60  # district and sub-district
MAX_DOCTOR_NAME = 60
MAX_HOLIDAY_NAME = 60

MIN_CAPACITY, MAX_CAPACITY = 1, 1000

# Facility rules (design §3), with the bounds a careful facility would stay within.
MAX_DAYS_AHEAD = 7  # the USSD day screen lists every bookable day
MAX_CUTOFF_MINUTES = 12 * 60
MIN_MINUTES_PER_PATIENT, MAX_MINUTES_PER_PATIENT = 1, 240
MIN_PEOPLE_PER_PHONE, MAX_PEOPLE_PER_PHONE = 1, 20
MAX_ALMOST_TURN_AHEAD = 20  # 0 turns the "almost your turn" SMS off
