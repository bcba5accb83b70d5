"""The BPJS Antrean FKTP client against fixtures of the JavaScript original and a look-alike."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpjs import crypto
from bpjs.client import Client, Unreachable
from bpjs.settings import credentials
from tests import fake_bpjs

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "bpjs_answers.json").read_text())


@pytest.mark.parametrize("case", FIXTURES, ids=lambda case: case["timestamp"])
def test_answers_made_by_the_javascript_original_open_to_their_json(case: dict) -> None:
    args = (case["cons_id"], case["secret"], case["timestamp"])
    assert crypto.signature(*args) == case["signature"]
    assert crypto.decrypt(case["encrypted"], *args) == case["compressed"]
    assert crypto.open_response(case["encrypted"], *args) == case["response"]


@pytest.mark.parametrize("case", FIXTURES, ids=lambda case: case["timestamp"])
def test_our_sealing_is_byte_for_byte_the_javascript_originals(case: dict) -> None:
    args = (case["cons_id"], case["secret"], case["timestamp"])
    assert crypto.seal_response(case["response"], *args) == case["encrypted"]


def test_the_fixtures_hold_names_beyond_ascii_and_beyond_the_bmp() -> None:
    text = json.dumps([case["response"] for case in FIXTURES], ensure_ascii=False)
    assert "Ś" in text and "🙂" in text and "日本語" in text


@given(st.text())
def test_any_text_survives_sealing_and_opening(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate is not text anybody sends
        return
    sealed = crypto.seal_response({"nama": text}, "1", "s", "1700000000")
    assert crypto.open_response(sealed, "1", "s", "1700000000") == {"nama": text}


def test_an_answer_sealed_with_another_timestamp_is_undecodable() -> None:
    sealed = crypto.seal_response({"a": 1}, "1", "s", "1700000000")
    with pytest.raises(crypto.Undecodable):
        crypto.open_response(sealed, "1", "s", "1700000001")


def test_no_settings_is_off_and_half_the_settings_stop_with_one_line() -> None:
    assert credentials({}) is None
    with pytest.raises(ValueError, match="ANTRE_BPJS_SECRET, ANTRE_BPJS_USER_KEY"):
        credentials({"BPJS_URL": "https://x/", "BPJS_CONS_ID": "1"})


def test_credentials_never_print_their_secret() -> None:
    found = credentials(
        {"BPJS_URL": "https://x/", "BPJS_CONS_ID": "1", "BPJS_SECRET": "s3", "BPJS_USER_KEY": "uk"}
    )
    assert "s3" not in repr(found) and "uk" not in repr(found)


def test_reference_reads_are_signed_and_decrypted() -> None:
    with fake_bpjs.running() as fake:
        client = Client(credentials(fake_bpjs.settings(fake)))
        poli = client.poli("2026-12-03")
        dokter = client.dokter("001", "2026-12-03")
    assert (poli.code, poli.response) == (200, {"list": fake_bpjs.POLI})
    assert dokter.response == {"list": fake_bpjs.DOKTER}
    assert fake.bad_signatures == 0


def test_a_wrong_secret_is_refused_by_the_signature_check() -> None:
    with fake_bpjs.running() as fake:
        client = Client(credentials(fake_bpjs.settings(fake, BPJS_SECRET="not-the-secret")))
        answer = client.call("POST", "antrean/add", {"nomorkartu": "0001234567890"})
    assert (answer.code, answer.ok) == (401, False)
    assert fake.bad_signatures == 1 and fake.calls == []


def test_a_refusal_is_an_answer_with_bpjs_message() -> None:
    with fake_bpjs.running() as fake:
        fake.refused_cards["0001234567890"] = "data pasien tidak ditemukan"
        answer = Client(credentials(fake_bpjs.settings(fake))).call(
            "POST", "antrean/add", {"nomorkartu": "0001234567890"}
        )
    assert (answer.code, answer.message) == (201, "data pasien tidak ditemukan")


def test_bpjs_down_or_hanging_is_unreachable_within_the_timeout() -> None:
    with fake_bpjs.running() as fake:
        client = Client(credentials(fake_bpjs.settings(fake)))
        fake.down = True
        with pytest.raises(Unreachable, match="HTTP 503"):
            client.poli("2026-12-03")
        fake.down, fake.hang_seconds = False, 3.0
        started = time.monotonic()
        with pytest.raises(Unreachable, match="Timeout"):
            client.poli("2026-12-03")
        assert time.monotonic() - started < 2.5


def test_antre_bpjs_poli_and_dokter_print_bpjs_codes(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from antre import create_app
    from antre.cli import cli

    with fake_bpjs.running() as fake:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
                "TESTING": True,
                "SECRET_KEY": "t",
                **fake_bpjs.settings(fake),
            }
        )
        info = ScriptInfo(create_app=lambda: app)

        def run(*args: str):
            return CliRunner().invoke(cli, list(args), obj=info)

        poli = run("bpjs", "poli", "--day", "2026-12-03")
        dokter = run("bpjs", "dokter", "001", "--day", "2026-12-03")
        fake.down = True
        down = run("bpjs", "poli")
    assert poli.exit_code == 0 and poli.output.splitlines() == ["001\tUMUM", "003\tKIA"]
    assert "123\tdr. Śri Wahyuni\t08:00-12:00" in dokter.output
    assert down.exit_code == 1 and "BPJS did not answer" in down.output
