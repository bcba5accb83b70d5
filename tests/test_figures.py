"""The district figures over a known history, exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from booking.models import Event
from figures import charts, export
from figures.command import render
from figures.queries import FUNNEL, Figures, Scope, compute
from figures.scrub import for_grouping, scrub
from menus.tree import TREE
from plumbing.db import Database
from tests import test_figures_history as history
from tests.test_figures_history import FRI, SUN

KOTA_UJI = Scope(FRI, SUN, "Kota Uji")
EVERYWHERE = Scope(FRI, SUN)


@pytest.fixture
def built(db: Database) -> Database:
    history.build(db)
    return db


def figures(db: Database, scope: Scope) -> Figures:
    with db.transaction() as s:
        return compute(s, scope)


def test_bookings_by_channel_count_the_districts_bookings_of_the_period(built: Database) -> None:
    table = figures(built, KOTA_UJI).table("bookings_by_channel")
    assert table.rows == [("USSD", 12), ("SMS", 5), ("walk-in", 3), ("API", 1), ("all", 21)]


def test_bookings_by_day_list_every_day_of_the_period_by_channel(built: Database) -> None:
    table = figures(built, KOTA_UJI).table("bookings_by_day")
    assert [c.name for c in table.columns] == ["day", "USSD", "SMS", "walk-in", "API", "all"]
    assert table.rows == [
        ("2026-11-20", 6, 2, 1, 0, 9),
        ("2026-11-21", 6, 0, 2, 1, 9),
        ("2026-11-22", 0, 3, 0, 0, 3),
    ]


def test_cancellations_no_shows_and_median_wait(built: Database) -> None:
    table = figures(built, KOTA_UJI).table("cancellations")
    assert table.rows == [
        ("bookings", 21),
        ("cancelled by the patient", 2),
        ("cancelled by the facility", 3),
        ("no-shows", 2),
        ("served", 10),
        # waits 1 3 5 10 15 20 | 25 30 35 40 50 60 minutes: (20 + 25) / 2
        ("median minutes from booking to being called", 22.5),
    ]


def test_per_facility_rows_break_the_district_down(built: Database) -> None:
    table = figures(built, KOTA_UJI).table("facilities")
    assert table.rows == [
        ("9001", "Puskesmas 9001", "Kota Uji", 15, 8, 5, 1, 1, 1, 3, 1, 30.0),
        ("9002", "Puskesmas 9002", "Kota Uji", 6, 4, 0, 2, 0, 1, 0, 1, 15.0),
    ]


def test_ussd_sessions_started_finished_and_where_the_rest_stopped(built: Database) -> None:
    result = figures(built, KOTA_UJI)
    assert result.table("ussd_sessions").rows == [
        ("started", 8),
        ("finished", 4),
        ("unfinished", 4),
    ]
    assert result.table("ussd_stopped_at").rows == [("when", 2), ("confirm", 1), ("service", 1)]
    assert result.table("ussd_funnel").rows == [
        ("dialled", 8),
        ("saw the services", 8),
        ("chose a service", 7),
        ("chose a time", 5),
        ("got a number", 4),
    ]


def test_sms_not_understood_are_grouped_without_phone_numbers_or_names(built: Database) -> None:
    result = figures(built, KOTA_UJI)
    assert result.table("sms_inbound").rows == [
        ("received", 9),
        ("understood", 2),
        ("not understood", 7),
    ]
    assert result.table("sms_not_understood").rows == [
        ("HALO", 4),
        ("ANTRE GIGI UNTUK [NAME]", 1),
        ("ANTRE UNTUK [NAME]", 1),
        ("TOLONG TELP [PHONE]", 1),
    ]


def test_delivery_failures_by_reason(built: Database) -> None:
    table = figures(built, KOTA_UJI).table("delivery_failures")
    assert table.rows == [
        ("delivery: DeliveryFailure", 3),
        ("delivery: AbsentSubscriber", 1),
        ("gateway refused [phone]", 1),
        ("all", 5),
    ]


def test_one_facility_shows_only_its_own_records(built: Database) -> None:
    result = figures(built, Scope(FRI, SUN, "Kota Uji", "9002"))
    assert result.facilities == 1
    assert result.table("bookings_by_channel").value("all") == 6
    assert result.table("ussd_sessions").rows == [
        ("started", 3),
        ("finished", 1),
        ("unfinished", 2),
    ]
    assert result.table("sms_inbound").value("received") == 4
    assert result.table("delivery_failures").rows == [
        ("delivery: DeliveryFailure", 1),
        ("all", 1),
    ]
    assert result.table("cancellations").value("median minutes from booking to being called") == 15


def test_all_districts_include_records_without_a_facility(built: Database) -> None:
    result = figures(built, EVERYWHERE)
    assert result.facilities == 3
    assert result.table("bookings_by_channel").rows == [
        ("USSD", 17),
        ("SMS", 5),
        ("walk-in", 3),
        ("API", 1),
        ("all", 26),
    ]
    assert result.table("ussd_sessions").rows == [
        ("started", 10),
        ("finished", 5),
        ("unfinished", 5),
    ]
    assert result.table("ussd_stopped_at").rows == [
        ("when", 2),
        ("confirm", 1),
        ("service", 1),
        ("welcome", 1),
    ]
    assert result.table("ussd_funnel").column("sessions") == [10, 9, 8, 6, 5]
    assert result.table("sms_not_understood").value("HALO") == 6
    assert result.table("delivery_failures").value("all") == 7


def test_a_district_without_records_has_zeros_not_errors(built: Database) -> None:
    result = figures(built, Scope(FRI, SUN, "Kabupaten Kosong"))
    assert result.facilities == 0
    assert result.table("bookings_by_channel").value("all") == 0
    assert result.table("ussd_sessions").value("started") == 0
    assert result.table("sms_not_understood").rows == []
    assert result.table("delivery_failures").rows == [("all", 0)]
    assert (
        result.table("cancellations").value("median minutes from booking to being called") is None
    )


def test_a_period_outside_the_history_is_empty(built: Database) -> None:
    result = figures(built, Scope(date(2026, 12, 1), date(2026, 12, 2), "Kota Uji"))
    assert result.table("bookings_by_day").rows == [
        ("2026-12-01", 0, 0, 0, 0, 0),
        ("2026-12-02", 0, 0, 0, 0, 0),
    ]
    assert result.table("facilities").column("median wait (min)") == [None, None]


def test_no_figure_shows_a_phone_number_or_a_patient_name(built: Database) -> None:
    for scope in (KOTA_UJI, EVERYWHERE):
        result = figures(built, scope)
        shown = json.dumps(export.figures_json(result)) + export.figures_csv(result)
        shown += export.figures_text(result)
        for secret in ("628110000000", "0812", "Siti", "Aminah", "Budi", "Pasien"):
            assert secret not in shown


def test_exports_write_counts_below_five_as_less_than_five(built: Database) -> None:
    result = figures(built, KOTA_UJI)
    rows = list(csv.reader(io.StringIO(export.table_csv(result.table("bookings_by_channel")))))
    assert rows == [
        ["channel", "bookings"],
        ["USSD", "12"],
        ["SMS", "5"],
        ["walk-in", "<5"],
        ["API", "<5"],
        ["all", "21"],
    ]
    by_day = list(csv.reader(io.StringIO(export.table_csv(result.table("bookings_by_day")))))
    assert by_day[3] == ["2026-11-22", "0", "<5", "0", "0", "<5"]
    facilities = json.loads(json.dumps(export.figures_json(result)))["tables"]["facilities"]
    assert facilities["rows"][1] == {
        "code": "9002",
        "facility": "Puskesmas 9002",
        "district": "Kota Uji",
        "bookings": 6,
        "USSD": "<5",
        "SMS": 0,
        "walk-in": "<5",
        "API": 0,
        "cancelled by patient": "<5",
        "cancelled by facility": 0,
        "no-shows": "<5",
        "median wait (min)": 15.0,
    }


def test_the_csv_of_every_table_holds_each_table_under_its_title(built: Database) -> None:
    result = figures(built, KOTA_UJI)
    text = export.figures_csv(result)
    for table in result.tables:
        assert f"\r\n{table.title}\r\n" in text or f'"{table.title}"' in text
    assert "from=2026-11-20" in text.splitlines()[0]


def test_charts_are_svg_with_one_bar_segment_per_day_and_channel(built: Database) -> None:
    result = figures(built, KOTA_UJI)
    svg = charts.bookings_per_day(result.table("bookings_by_day"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    # 2026-11-20: USSD, SMS, walk-in; 21: USSD, walk-in, API; 22: SMS.
    assert svg.count("<rect") - 4 == 7  # four legend swatches
    assert "2026-11-21 API: 1" in svg
    funnel = charts.funnel(result.table("ussd_funnel"))
    assert "got a number" in funnel and "4 (50%)" in funnel


def test_funnel_screens_exist_in_the_menu_tree() -> None:
    for _label, screens in FUNNEL:
        for screen in screens:
            assert screen in TREE.screens


def test_the_command_line_prints_the_same_figures_and_logs_csv_exports(
    built: Database, app: Flask
) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    text = built.run(lambda s: render(s, KOTA_UJI, "text", now))
    assert "Bookings by channel" in text and "walk-in" in text
    assert "Puskesmas 9001" in text
    with built.transaction() as s:
        assert s.scalars(select(Event).where(Event.kind == "figures_exported")).all() == []

    out = built.run(lambda s: render(s, KOTA_UJI, "csv", now, actor="cli:tester"))
    assert "walk-in,<5" in out
    with built.transaction() as s:
        logged = s.scalars(select(Event).where(Event.kind == "figures_exported")).one()
        assert (logged.actor, logged.channel, logged.at) == ("cli:tester", "cli", now)
        assert logged.detail == {
            "district": "Kota Uji",
            "facility": None,
            "from": "2026-11-20",
            "to": "2026-11-22",
            "format": "csv",
        }


def test_antre_figures_runs_from_the_command_line(built: Database, app: Flask) -> None:
    from antre.cli import cli

    runner = app.test_cli_runner()
    result = runner.invoke(
        cli,
        ["figures", "--district", "Kota Uji", "--from", "2026-11-20", "--to", "2026-11-22"],
    )
    assert result.exit_code == 0, result.output
    assert "Antre figures: Kota Uji, 2026-11-20 to 2026-11-22" in result.output
    result = runner.invoke(cli, ["figures", "--from", "2026-11-22", "--to", "2026-11-20", "--csv"])
    assert result.exit_code != 0 and "ends before it starts" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ANTRE GIGI BESOK UNTUK Siti Aminah", "ANTRE GIGI BESOK UNTUK [NAME]"),
        ("book dental for John", "BOOK DENTAL FOR [NAME]"),
        ("daftar a/n Ani", "DAFTAR A/N [NAME]"),
        ("tolong hubungi 0812-3456-7890 ya", "TOLONG HUBUNGI [PHONE] YA"),
        ("halo +6281234567890", "HALO [PHONE]"),
        ("kartu 0001 2345 6789 0", "KARTU [PHONE]"),
        ("nik 12345678901234567890", "NIK [NUMBER]"),  # too long for a phone: the regex
        ("antre umum 1001 besok", "ANTRE UMUM 1001 BESOK"),
        ("  halo   ", "HALO"),
        ("forum", "FORUM"),
        ("x" * 80, "X" * 59 + "…"),
    ],
)
def test_free_text_is_scrubbed_before_it_is_counted(text: str, expected: str) -> None:
    assert for_grouping(text) == expected


def test_scrub_keeps_short_numbers_and_case() -> None:
    assert scrub("Batal A-012") == "Batal A-012"
