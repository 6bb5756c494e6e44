# sip-meeting: `make run` starts the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d sip_meeting/translations

run: $(VENV)/.installed translations
	$(BIN)/sip-meeting db upgrade
	$(BIN)/sip-meeting demo --base-url http://$(HOST):$(PORT)
	$(BIN)/sip-meeting serve --host $(HOST) --port $(PORT)

# axe-core for the accessibility tests, at the version pinned in tests/axe/package-lock.json.
tests/axe/node_modules/.package-lock.json: tests/axe/package-lock.json
	npm ci --prefix tests/axe --ignore-scripts --no-audit --no-fund --loglevel=error

test: $(VENV)/.installed translations tests/axe/node_modules/.package-lock.json
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/rules_check.py
	$(BIN)/python bench/glossary_find.py
	$(BIN)/python bench/close_handover.py
	$(BIN)/python bench/live_latency.py --meetings 20 --participants 12 --rate 5 --duration 10

lint: $(VENV)/.installed
	$(BIN)/ruff check sip_meeting tests bench wsgi.py

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o sip_meeting/translations/messages.pot .
	$(BIN)/pybabel update -i sip_meeting/translations/messages.pot -d sip_meeting/translations \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache tests/axe/node_modules
