"""How long the names people read on a phone may be: one place, used by validation and tests.

Every USSD screen and SMS template is proved to fit 160 characters with names of exactly these
lengths (tests/test_ussd_screens.py, tests/test_sms_templates.py). The columns are wider; these
limits are what a phone screen leaves room for, so data longer than them is refused on entry.
"""

from __future__ import annotations

FACILITY_NAME = 32  # "Puskesmas Karang Tengah Cibodas" and longer real names, abbreviated
SERVICE_NAME = 24  # per language
DISTRICT_NAME = 42  # "Kabupaten Kepulauan Siau Tagulandang Biaro", the longest real one
PERSON_NAME = 30  # as booking.taking.clean_name allows
SERVICE_PREFIX = 2  # the letters before a queue number: "A-012", "KB-012"


def within(what: str, value: str, limit: int) -> str:
    """`value` unchanged, or ValueError naming the limit (forms check first, with the same)."""
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters: {value!r}")
    return value
