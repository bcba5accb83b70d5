"""The SMS corpus (tests/sms_corpus.yaml) through the real inbound endpoint, judged by what
happened: the booking made (service, day, facility, name), the cancellation, the question now
waiting, the help or not-understood reply. bench/sms_corpus.py sends each message to
`/sms/incoming` as Africa's Talking does, on a fresh copy of a SQLite database per message.

Facilities 1001, 2001 and 3001 have the parser's default services and book 75 days ahead, so
that the day a booking lands on shows the day that was understood. After the day question
(context after_ask_day) they book today and tomorrow only, as that question offers: a day the
text names beyond that must get the "only until ..." refusal and no booking.
The table is printed (pytest -s); a class below its floor, or more wrong actions than the
ceiling, fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import sms_corpus
from bench.sms_corpus import NOW, Outcome, date_of
from booking.clock import local_today
from texts.gsm import SEGMENT_SEPTETS, is_gsm7, septets

TODAY = local_today(NOW, "Asia/Jakarta")
# What the SMS side reaches through the endpoint today, per class: a regression fails.
FLOORS: dict[str, int] = {
    "bpjs-card": 14, "cancel-words": 24, "code-only-answers": 26, "day-names-dates": 28,
    "day-regional": 28,
    "day-slang-typo": 27, "day-standard": 25, "day-unknown": 26, "digit-answers": 26,
    "glued-decorated": 34, "noise": 25, "relation-names": 23, "reminder-answers": 28,
    "untuk-buat": 28, "which-service": 22,
}  # fmt: skip
# Bookings of another day, service or facility than the text meant, bookings nobody asked
# for, cancellations nobody asked for: this only goes down.
WRONG_ACTIONS_CEILING = 6


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[dict, Outcome]]]:
    yield sms_corpus.run(sms_corpus.cases(), Path(tmp_path_factory.mktemp("corpus")))


def window_of(case: dict[str, Any]) -> int:
    return 1 if case.get("context") == "after_ask_day" else sms_corpus.WIDE_WINDOW


def passes(case: dict[str, Any], outcome: Outcome) -> bool:
    wanted = case["expect"]
    found = outcome.as_dict()
    if wanted["action"] == "book" and found["action"] != "book":
        day = date_of(str(wanted.get("day", "none")), TODAY)
        beyond = day is not None and (day - TODAY).days > window_of(case)
        return beyond and found["action"] == "refused" and found.get("outside_window") is True
    for key, value in wanted.items():
        if key == "day" and found["action"] == "book":
            if date_of(str(value), TODAY) != found["date"]:
                return False
        elif value is not None and key in ("facility", "ticket", "day"):
            if str(value) != found.get(key):
                return False
        elif found.get(key) != value:
            return False
    return True


def wrong_action(case: dict[str, Any], outcome: Outcome) -> bool:
    wanted = case["expect"]
    found = outcome.as_dict()
    if found["action"] == "cancel" and not found.get("asked"):
        return wanted["action"] != "cancel"
    if found["action"] != "book":
        return False
    if wanted["action"] != "book":
        return True
    if "day" in wanted and date_of(str(wanted["day"]), TODAY) != found["date"]:
        return True
    return any(
        wanted.get(key) is not None and str(wanted[key]) != found.get(key)
        for key in ("service", "facility")
    )


def test_each_sms_of_the_corpus_through_the_endpoint_does_what_it_asks(
    results: list[tuple[dict, Outcome]],
) -> None:
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failing: list[str] = []
    for case, outcome in results:
        total[case["class"]] += 1
        if passes(case, outcome):
            passed[case["class"]] += 1
        else:
            failing.append(f"  {case['class']}: {case['text']!r} -> {outcome.as_dict()} "
                           f"!= {case['expect']}  [{outcome.reply}]")  # fmt: skip
    print("\nclass                 passed/total (through /sms/incoming)")
    for name in sorted(total):
        print(f"{name:22}{passed[name]:>6}/{total[name]}")
    print(f"{'all':22}{sum(passed.values()):>6}/{sum(total.values())}")
    print("failing:\n" + "\n".join(failing))
    wrong = [case["text"] for case, outcome in results if wrong_action(case, outcome)]
    print(f"wrong bookings or cancellations: {len(wrong)}: {wrong}")
    not_understood = sum(not outcome.understood for _case, outcome in results)
    print(f"not understood (as the figures page counts them): {not_understood}")
    assert len(wrong) <= WRONG_ACTIONS_CEILING, wrong
    below = {name: passed[name] for name in total if passed[name] < FLOORS.get(name, 0)}
    assert not below, f"below the floor: {below}"
    assert set(FLOORS) <= set(total), "a floor for a class the corpus no longer has"


def test_every_sms_gets_one_reply_of_one_gsm7_segment(
    results: list[tuple[dict, Outcome]],
) -> None:
    silent = [case["text"] for case, outcome in results if outcome.reply is None]
    assert silent == []
    for case, outcome in results:
        body = outcome.reply or ""
        assert is_gsm7(body) and septets(body) <= SEGMENT_SEPTETS, (case["text"], body)


def test_a_booking_reply_names_the_service_day_and_facility_understood(
    results: list[tuple[dict, Outcome]],
) -> None:
    for case, outcome in results:
        found = outcome.as_dict()
        if found["action"] != "book":
            continue
        reply = outcome.reply or ""
        facility = dict(sms_corpus.FACILITIES)[found["facility"]]
        service = sms_corpus.SERVICE_NAMES[found["service"]]
        assert facility in reply and service in reply, (case["text"], reply)
        assert f"{found['date']:%d/%m}" in reply, (case["text"], reply)
