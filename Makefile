# make run: the service on http://127.0.0.1:5000 with SQLite, demo data and texts shown in the console.
# make test: the whole test suite (SQLite, PostgreSQL, Redis, Chromium).

VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PYTHON  ?= python3
PORT    ?= 5000

.PHONY: run test setup setup-dev browser services clean translations

$(VENV)/.installed: pyproject.toml
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
	$(FLASK) demo
	@# The SMS worker runs beside the server and stops with it; texts print in this terminal.
	export SMS_BACKEND=console SMS_DEV_DELIVERY=true; \
	$(FLASK) sms worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium and CJK fonts for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi "Noto Sans CJK" || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# PostgreSQL (127.0.0.1:5432, database test) and Redis (127.0.0.1:6379), started when down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; pg_isready -h 127.0.0.1 -p 5432
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done; redis-cli -h 127.0.0.1 ping

test: setup-dev services
	$(VENV)/bin/pytest

# Draft Traditional Chinese for new Simplified texts and recompile every catalogue (README: Languages).
translations: $(VENV)/.installed-dev
	$(PY) booking/translations/hant.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
