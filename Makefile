# Talent Program Portal — `make run` serves the portal with demo data, `make test` runs every test.
# Both do all set-up themselves and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

# What WeasyPrint needs for PDFs (Chinese fonts, fast font subsetting).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
# What the browser tests need in addition (Debian's Chromium; never a downloaded browser).
TEST_SYSTEM_PACKAGES := chromium

PO_FILES := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint setup setup-dev system-packages test-system-packages db demo translations letter-fonts i18n clean help

help:
	@echo "make run    serve the portal at http://$(HOST):$(PORT) with demo data (SQLite)"
	@echo "make test   run the whole test suite (TEST_DATABASE_URL selects PostgreSQL), after make lint"
	@echo "make lint   ruff (lint and format) and mypy (strict on the pure modules), as set in pyproject.toml"

run: setup db demo
	@echo ""
	@echo "Serving the Talent Program Portal at http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: setup-dev lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The rules live in pyproject.toml; a violation fails `make test`, and so CI, before any test runs.
lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

setup: system-packages $(VENV)/.requirements translations letter-fonts
setup-dev: setup test-system-packages $(VENV)/.requirements-dev

system-packages:
	@tools/system-packages.sh $(SYSTEM_PACKAGES)

test-system-packages:
	@tools/system-packages.sh --required $(TEST_SYSTEM_PACKAGES)

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "!! Python 3.11 or newer is needed (found $$($(PYTHON) --version 2>&1))."; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || tools/system-packages.sh --required python3-venv
	$(PYTHON) -m venv $(VENV)

$(VENV)/.requirements: requirements.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev: requirements-dev.txt $(VENV)/.requirements
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

translations: $(MO_FILES)

# Single-face cuts of the system Noto CJK fonts that make a letter render in ~35 ms (idempotent, ~2 s once).
letter-fonts: $(VENV)/.requirements
	@$(PY) -m portal.pdf.fonts >/dev/null || echo "!! Letter fonts could not be prepared (is fonts-noto-cjk installed?); letters will prepare them on first use."

%.mo: %.po $(VENV)/.requirements
	@$(VENV)/bin/pybabel compile -i $< -o $@

# Developers: extract new strings, merge them into both catalogs, fill Chinese from the TSV, compile.
i18n: $(VENV)/.requirements
	$(VENV)/bin/pybabel extract --ignore-dirs=".* .venv __pycache__" -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete
	$(PY) tools/po_fill.py portal/translations/zh/LC_MESSAGES/messages.po portal/translations/zh_CN*.tsv
	$(PY) tools/po_fill.py portal/translations/en/LC_MESSAGES/messages.po --identity
	@$(MAKE) -s translations

db: setup
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed demo

clean:
	rm -rf $(VENV) instance .pytest_cache
