# The two commands: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run serve test deploy-test e2e bench bench-history lint fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) install -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

## run: migrate, seed the demo data and serve on http://127.0.0.1:5000 (SQLite, no services),
## with one `flask worker` beside gunicorn (gunicorn.conf.py starts it; Ctrl-C stops both);
## once it listens it prints the address, the demo logins and where mails are written.
## Log lines are text a person reads here (LOG_FORMAT=text); JSON everywhere else.
run: export LOG_FORMAT ?= text
run: export TALLY_WITH_WORKER = 1
run: $(VENV)/.installed-runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

## serve: production mode on DATABASE_URL (+ REDIS_URL) with gunicorn.conf.py; refuses to start,
## in one line, without the production secrets and mail settings, without a reachable database,
## or with several workers (WEB_CONCURRENCY) and no REDIS_URL. Run `flask db upgrade` first.
serve: $(VENV)/.installed-runtime
	TALLY_ENV=production $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

## test: the whole suite on SQLite; with TEST_DATABASE_URL/TEST_REDIS_URL set, on PostgreSQL/Redis too, side by side
test: $(VENV)/.installed-dev
	@if [ -n "$$TEST_DATABASE_URL$$TEST_REDIS_URL" ]; then \
		bash tests/both_passes.sh $(BIN)/python; \
	else \
		echo "== pytest on SQLite, in-process cache and rate limits"; \
		$(BIN)/python -m pytest; \
	fi

$(VENV)/.installed-fuzz: requirements.txt requirements-dev.txt requirements-fuzz.txt | $(BIN)/python
	$(PIP) install -r requirements-fuzz.txt
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-runtime

## deploy-test: the deployment suite (tests/deploy): nginx in front of two gunicorn hosts on
## PostgreSQL, straight and through PgBouncer, and a Redis of their own; needs nginx, pgbouncer,
## redis-server and the PostgreSQL server TEST_DATABASE_URL names (default 127.0.0.1:5432)
deploy-test: $(VENV)/.installed-dev
	TALLY_DEPLOY_SUITE=1 $(BIN)/python -m pytest tests/deploy

$(VENV)/.installed-e2e: requirements.txt requirements-dev.txt requirements-e2e.txt | $(BIN)/python
	$(PIP) install -r requirements-e2e.txt
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-runtime

## e2e: the end-to-end suite (tests/e2e): Playwright driving Debian's Chromium (apt-get install
## chromium) against the app served by gunicorn; screenshots under tests/e2e/artifacts/
e2e: $(VENV)/.installed-e2e
	TALLY_E2E_SUITE=1 $(BIN)/python -m pytest tests/e2e

## fuzz: schemathesis over the served app's OpenAPI document, as an admin and a member (SQLite, no rate limits);
## a new seed each day (FUZZ_SEED=<a CI run's number> for one per run); FUZZ_ARGS="--seed N" replays a run
fuzz: $(VENV)/.installed-fuzz
	$(BIN)/python tests/fuzz/run.py $(FUZZ_ARGS)

## bench: Tally's requests/s under wrk as a share of a bare-Flask floor's, on SQLite, then on
## PostgreSQL + Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL are set; writes bench/RESULTS.md
## (BENCH_ARGS=--short for a smoke run that writes nothing; --help for the options)
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/http_bench.py --write-results $(BENCH_ARGS)

## bench-history: the in-process history-pagination benchmark (SQLite; BENCH_DATABASE_URL for another database)
bench-history: $(VENV)/.installed-dev
	$(BIN)/python bench/history_pages.py

## lint: ruff (style), and lint-imports (the layer contracts in pyproject.toml)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
