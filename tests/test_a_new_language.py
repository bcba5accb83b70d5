"""A new language is a line in texts.LANGUAGES, its catalogs and its data: no column, form
field or query to add. Run in a fresh interpreter, since the forms are built at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Javanese, with no catalog yet (its pages read the English msgids): the data is what is new.
SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    import texts
    texts.LANGUAGES = ("id", "en", "jv")  # before anything reads the table

    from sqlalchemy import select

    from antre import migrate
    from antre.demo import seed
    from booking.models import Facility, Service
    from console.models import Role
    from plumbing.db import database_of as database
    from tests import staff
    from tests.helpers import app_for_tests
    from ussd.cache import load_card

    tmp = Path(sys.argv[1])
    url = f"sqlite:///{tmp / 'antre.sqlite3'}"
    migrate.upgrade(url)
    app = app_for_tests(url, tmp).__enter__()
    db = database(app)
    db.run(lambda s: seed(s, datetime(2026, 11, 23, 1, tzinfo=UTC)))
    staff.add_user(db, "root", Role.ADMIN)
    client = staff.log_in(app.test_client(), "root")
    with db.transaction() as s:
        gigi = s.scalars(
            select(Service).join(Facility).where(Facility.code == "1001", Service.code == "GIGI")
        ).one()
        service_id, facility_id = gigi.id, gigi.facility_id
    path = f"/console/admin/services/{service_id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'name="name_jv"' in page, page
    form = {
        "code": "GIGI", "prefix": "B", "synonyms": "gigi", "active": "y",
        "name_id": "Poli Gigi", "name_en": "Dental clinic", "name_jv": "Poli Untu",
        "csrf_token": staff.csrf_token(client, path),
    }
    answer = client.post(path, data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with db.transaction() as s:
        stored = s.get_one(Service, service_id)
        assert stored.names == {"id": "Poli Gigi", "en": "Dental clinic", "jv": "Poli Untu"}
        assert stored.name("jv") == "Poli Untu"
        card = load_card(s, facility_id)
    assert card is not None
    assert [c.name("jv") for c in card.services if c.id == service_id] == ["Poli Untu"]
    # The other services have no Javanese name yet: they read in the default language.
    assert {c.name("jv") for c in card.services if c.id != service_id} == {"Poli Umum", "Poli KIA"}
    print("ok")
    """
)


def test_a_new_language_needs_its_catalogs_and_data_only(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
