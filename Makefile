# make run: the service on http://127.0.0.1:$(PORT) (5000) with SQLite, demo data and texts shown
#   in the console; prints the staff login every time (RESET_PASSWORD=1 makes a new password).
# make test: the whole test suite (SQLite, PostgreSQL, Redis, Chromium), in parallel (JOBS).

VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PYTHON  ?= python3
PORT    ?= 5000
JOBS    ?= auto
# Parallel workers (each with its own PostgreSQL database, Redis database, ports and temp
# folders), at most 4, handed 8 tests at a time so that the slow ones, which run first, are
# spread over them (tests/conftest.py); the 15 slowest tests are listed at the end.
PYTEST_ARGS ?= -n $(JOBS) --maxprocesses=4 --maxschedchunk=8 --durations=15
TEST_POSTGRES_URL_FILE := $(VENV)/.test-postgres-url

.PHONY: run test setup setup-dev browser services clean translations

SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian's python3 makes virtual environments only with python3-venv (ensurepip).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev browser

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo $(if $(RESET_PASSWORD),--reset-password)
	@# The SMS worker runs beside the server and stops with it; texts print in this terminal.
	@# It also keeps the demo's slots open 14 days ahead of each office's today, minute by minute.
	@# FLASK_RUN_PORT: the links in its texts point to the port served here.
	export SMS_BACKEND=console SMS_DEV_DELIVERY=true SLOTS_AHEAD_DAYS=14 FLASK_RUN_PORT=$(PORT); \
	$(FLASK) sms worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium and CJK fonts for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi "Noto Sans CJK" || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379): installed from Debian when missing,
# started when down, and a role of the tests' own with a password (.ci/services says how).
services:
	@.ci/services $(TEST_POSTGRES_URL_FILE)

test: setup-dev services
	TEST_POSTGRES_URL=$$(cat $(TEST_POSTGRES_URL_FILE)) $(VENV)/bin/pytest $(PYTEST_ARGS)

# Draft Traditional Chinese for new Simplified texts and recompile every catalogue (README: Languages).
translations: $(VENV)/.installed-dev
	$(PY) booking/translations/hant.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
