# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint format server-start server-stop clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## demo: install, start the local server unless MONGODB_CONNECTION_STRING is set, load the default dataset
demo: $(VENV)/.installed
	$(PY) scripts/local_server.py auto
	$(PY) scripts/generate_mongodb_data.py

## test: install, lint, and run the whole suite (it starts its own server unless MONGODB_TEST_URI is set)
test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

server-start: $(VENV)/.installed
	$(PY) scripts/local_server.py start

server-stop: $(VENV)/.installed
	$(PY) scripts/local_server.py stop

clean:
	-$(PY) scripts/local_server.py stop
	rm -rf $(VENV) .local-server .pytest_cache .ruff_cache
