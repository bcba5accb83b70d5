# Two commands for a fresh machine: `make run` (the whole product, embedded) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test check lint types imports structure migrations-check format messages bench screenshots

run: $(VENV)/.installed
	$(BIN)/antre serve

# pytest exits 5 when it collected no test; for this project that is a broken suite: say so.
test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS) || { status=$$?; \
	  [ $$status -ne 5 ] || echo "pytest collected no tests: a failure, not a pass" >&2; \
	  exit $$status; }

check: lint types imports migrations-check test

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.installed
	$(BIN)/mypy

imports: $(VENV)/.installed
	$(BIN)/lint-imports

# Which top-level package imports which (grimp: the graph import-linter checks).
PACKAGES = antre api figures console ussd sms simulator plumbing bpjs gateways menus booking texts
structure: $(VENV)/.installed
	$(BIN)/python -c 'import grimp, sys; top = sys.argv[1:]; g = grimp.build_graph(*top); \
	  deps = {p: set() for p in top}; \
	  [deps[m.split(".")[0]].add(n.split(".")[0]) for m in g.modules \
	    for n in g.find_modules_directly_imported_by(m) if n.split(".")[0] in deps]; \
	  [print(f"{p:10} imports", ", ".join(q for q in top if q in deps[p] - {p}) or "-") \
	    for p in top]' $(PACKAGES)

# Models and migrations must agree: migrate a scratch SQLite file, then ask Alembic for a diff.
migrations-check: $(VENV)/.installed
	rm -f /tmp/antre-migrations-check.sqlite3
	DATABASE_URL=sqlite:////tmp/antre-migrations-check.sqlite3 $(BIN)/antre db upgrade
	DATABASE_URL=sqlite:////tmp/antre-migrations-check.sqlite3 $(BIN)/alembic check

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the message template and merge new strings into every language's catalog.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --omit-header -o texts/messages.pot .

# docs/screenshots/: the queue page, the display and the figures page at 1366x768 in each
# language, from the demo at a fixed Monday morning (the same pictures on every run).
screenshots: $(VENV)/.installed
	$(BIN)/python -m docs.screenshots

bench: $(VENV)/.installed
	$(BIN)/python -m bench.engine

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@
