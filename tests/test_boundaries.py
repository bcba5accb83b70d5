"""The shape of the code: booking/ stands alone; only the gateway package imports the SDK."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_ENGINE = {"flask", "werkzeug", "rq", "redis", "africastalking", "requests"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_booking_imports_nothing_of_the_web_the_queue_or_the_gateway() -> None:
    for path in sorted((ROOT / "booking").rglob("*.py")) + sorted((ROOT / "texts").rglob("*.py")):
        bad = imported_roots(path) & FORBIDDEN_IN_ENGINE
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_importing_the_engine_loads_no_web_or_queue_module() -> None:
    # The transitive check: what importing every engine module drags in at run time.
    forbidden = sorted(FORBIDDEN_IN_ENGINE)
    code = (
        "import sys, booking.taking, booking.queue, booking.clinic_sessions, booking.schedule;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_only_the_gateway_package_imports_the_africastalking_sdk() -> None:
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "gateways", "tests") or "site-packages" in relative.parts:
            continue
        assert "africastalking" not in imported_roots(path), f"{relative} imports africastalking"


def test_wsgi_only_builds_the_app() -> None:
    tree = ast.parse((ROOT / "wsgi.py").read_text())
    statements = [node for node in tree.body if not isinstance(node, ast.Expr)]
    assert [type(node).__name__ for node in statements] == ["ImportFrom", "Assign"]


def test_the_ussd_conversation_is_handed_its_parts_not_the_flask_app() -> None:
    """The view builds the store, catalog, database and clock from the app; below it, the
    conversation and everything it walks know nothing of Flask."""
    below_the_view = ["conversation", "walker", "actions", "reads", "lists", "words", "render"]
    below_the_view += ["context", "dropoff", "hints"]
    for name in below_the_view:
        path = ROOT / "ussd" / f"{name}.py"
        assert "flask" not in imported_roots(path), f"ussd/{name}.py imports flask"
