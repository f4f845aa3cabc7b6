# The two commands of the README: `make demo` and `make test`; `make check` is the fast loop.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# optional: the Ditto SDK for ditto_local_check.py and its real test
DITTO_VENV := .venv-ditto
# the CI workflow against the GitHub workflow schema that ships inside check-jsonschema (no network)
CHECK_WORKFLOW := $(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml

# the suite on two processes (pytest-xdist), each with its own local server; a module stays on one worker, so
# that its module and session datasets load once there (the default-size dataset has one module)
PARALLEL ?= -n 2 --dist loadfile

.PHONY: demo test check lint format server-start server-stop clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## demo: install, start the local server unless MONGODB_CONNECTION_STRING is set, load the default dataset
demo: $(VENV)/.installed
	$(PY) scripts/local_server.py auto
	$(PY) scripts/generate_mongodb_data.py

# best effort: where the SDK cannot be installed, its real test is reported as skipped (the skip line has its own test)
$(DITTO_VENV)/.installed: requirements-ditto.txt requirements.txt
	-$(PYTHON) -m venv $(DITTO_VENV) && $(DITTO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-ditto.txt && touch $@

# mongosh, pinned in tests/mongosh/package.json: the tests run SAMPLE_QUERIES.md and create_indexes.js in it
SNIPPETS := tests/mongosh
$(SNIPPETS)/node_modules/.installed: $(SNIPPETS)/package.json $(SNIPPETS)/package-lock.json
	npm ci --prefix $(SNIPPETS) --silent --no-audit --no-fund
	touch $@

## test: install, lint, validate the CI workflow, and run the whole suite (it starts its own server unless MONGODB_TEST_URI is set)
test: $(VENV)/.installed $(DITTO_VENV)/.installed $(SNIPPETS)/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(CHECK_WORKFLOW)
	DITTO_PYTHON=$$([ -f $(DITTO_VENV)/.installed ] && echo $(DITTO_VENV)/bin/python) $(PY) -m pytest $(PARALLEL)

## check: the fast loop: lint, format check, the CI workflow, and every test that needs no server, except the few that
## generate whole datasets again and again (pytest -m "not server and not slow"; make test runs them all)
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(CHECK_WORKFLOW)
	$(PY) -m pytest -q -m "not server and not slow" $(PARALLEL)

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
	rm -rf $(VENV) $(DITTO_VENV) $(SNIPPETS)/node_modules .local-server .ditto-local .pytest_cache .ruff_cache
