# EpiCommand: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
PROVINCE ?= 12
DEMO_PEOPLE ?= 20000
VENV := .venv
PY := $(VENV)/bin/python
# The PostgreSQL half of `make test` uses DATABASE_URL when it names PostgreSQL, else the local server.
PG_URL ?= $(if $(filter postgres%,$(DATABASE_URL)),$(DATABASE_URL),postgres://postgres@127.0.0.1:5432/epicommand)
export EPICOMMAND_PROVINCE ?= $(PROVINCE)

.PHONY: run test install assets messages lock test-sqlite test-postgres lint chromium clean

# Stamps make a second `make run` skip installs that are already current.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

epicommand/static/vendor/.built: node_modules/.installed scripts/build_assets.mjs
	node scripts/build_assets.mjs
	touch $@

install: $(VENV)/.installed
assets: epicommand/static/vendor/.built

# Compiled message catalogues are build output; the .po files are the source.
messages: $(VENV)/.installed
	$(PY) manage.py compile_translations -v 0

run: install assets messages
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_places --province $(PROVINCE)
	$(PY) manage.py seed_demo --people $(DEMO_PEOPLE)
	@# The demo prints certificates: a signing key of its own under var/ (production creates it once, by hand).
	$(PY) manage.py certificate_keys --create --if-missing > /dev/null
	$(PY) manage.py collectstatic --noinput -v 0
	@PORT=$(PORT) PY=$(PY) bash scripts/serve.sh

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run -v 0

test-sqlite: install assets messages chromium
	DATABASE_URL= $(PY) -m pytest -q

test-postgres: install assets messages chromium
	@PG_URL=$(PG_URL) PY=$(PY) bash scripts/check_postgres.sh
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q

test: lint test-sqlite test-postgres

# Re-resolve the Python lockfile after changing pyproject.toml.
lock:
	$(PYTHON) -m venv /tmp/epicommand-lock && /tmp/epicommand-lock/bin/pip install -q -e '.[dev]'
	/tmp/epicommand-lock/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) node_modules epicommand/static/vendor var/static
