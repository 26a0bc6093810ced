# Mizan — the front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := MIZAN_DEBUG=true

.DEFAULT_GOAL := help
.PHONY: help install constraints run worker serve-prod test security e2e bench bench-quick chaos chaos-quick lint fmt messages messages-update migrate clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

constraints: ## Re-pin every package (after a change to pyproject.toml), from a fresh environment
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/pip install --quiet -e ".[dev]"
	{ sed -n '1,3p' constraints.txt; .venv-pin/bin/pip freeze --exclude-editable | grep -v '^mizan'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-pin

install: $(STAMP) messages ## Create the virtual environment and install pinned dependencies

messages: $(STAMP) ## Compile the translation catalogues (.po -> .mo)
	@command -v msgfmt >/dev/null || scripts/apt-install gettext
	@$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv -v0

messages-update: $(STAMP) ## Extract new strings into the catalogues (then translate them)
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l ar -l fr -l en --ignore=.venv --ignore=var --ignore=tests --no-obsolete

migrate: install ## Create or update the database and load the reference data
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(DEV_ENV) $(BIN)/python manage.py load_reference
	$(DEV_ENV) $(BIN)/python manage.py load_holidays

run: migrate ## Start Mizan with demo data at http://127.0.0.1:8000 (web + task worker)
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) scripts/run-dev

worker: install ## Run the task worker alone (sends the SMS)
	$(DEV_ENV) $(BIN)/python manage.py worker

serve-prod: install ## Production mode: gunicorn + task workers (needs MIZAN_SECRET_KEY; docs/operations.md)
	scripts/serve-prod

test: install ## Run the test suite (SQLite, or DATABASE_URL if set)
	$(BIN)/python -m pytest

security: install ## Run the attack tests alone (XSS, CSRF, brute force, uploads, fuzzing)
	$(BIN)/python -m pytest tests/security

E2E_STAMP := e2e/node_modules/.installed

$(E2E_STAMP): e2e/package.json e2e/package-lock.json
	@command -v npm >/dev/null || scripts/apt-install npm
	cd e2e && npm ci --no-audit --no-fund --silent
	touch $@

e2e: install $(E2E_STAMP) ## Browser journeys in Debian's Chromium: axe-core, page weight, screenshots
	@command -v chromium >/dev/null || scripts/apt-install chromium
	# Bounded: a browser that stops answering must fail the run, not hang it.
	timeout 1200 $(BIN)/python -m pytest -p no:django -o addopts="" -W ignore::pytest.PytestConfigWarning e2e

bench: install ## Benchmarks on loopback, PostgreSQL and SQLite, next to a floor (long)
	@command -v wrk >/dev/null || scripts/apt-install wrk
	scripts/pg-setup
	$(BIN)/python bench/run.py

bench-quick: install ## A 5-minute smoke run of the benchmarks
	@command -v wrk >/dev/null || scripts/apt-install wrk
	scripts/pg-setup
	$(BIN)/python bench/run.py --quick

# The fault runs start their own PostgreSQL cluster (bench/chaos.py installs Debian's
# postgresql when its programs are missing); the machine's shared server is not touched.
chaos: install ## Faults under load: PostgreSQL restarts, 2 servers + 2 workers, SMS gateway down 10 min (~30 min)
	$(BIN)/python bench/chaos.py

chaos-quick: install ## The fault runs with short durations (SMS gateway down 30 s; ~7 min)
	$(BIN)/python bench/chaos.py --quick

lint: install ## Check style (ruff) and that migrations match the models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run -v1

fmt: install ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
