# Parley: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run run-scaled test bench bench-pages bench-connections check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Parley needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo "Parley is at http://127.0.0.1:$(PORT)/ (Ctrl+C stops it and its background worker)"
	@# The worker runs background jobs (offers, pruning expired stories every few minutes) beside
	@# daphne and stops with it; offers a killed worker left half sent are enqueued again first.
	$(BIN)/python manage.py resume_offers
	$(BIN)/python manage.py schedule_background_jobs
	@# daphne and the worker both run in the background, so that the traps run at once (a shell
	@# runs a trap only after its foreground command ends). Ctrl+C reaches the worker, which
	@# finishes the job it is running (a second Ctrl+C stops it at once); daphne, a background
	@# process, ignores Ctrl+C, so it is told with SIGTERM. `kill` of make does the same for both;
	@# should daphne stop alone (a busy port, a crash), the worker is stopped. No autoreloader
	@# (--no-reload): its extra process killed the worker outright on shutdown, halfway through a job.
	@server=; worker=; \
	  trap 'kill -TERM $$server 2>/dev/null; wait $$server $$worker 2>/dev/null' INT; \
	  trap 'kill -TERM $$server $$worker 2>/dev/null; wait $$server $$worker 2>/dev/null' TERM HUP; \
	  $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	  $(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application & server=$$!; \
	  wait $$server; status=$$?; \
	  kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null; exit $$status

# Two daphne processes (8001, 8002) on the PostgreSQL and Redis of DATABASE_URL and REDIS_URL (docs/deploy.md).
run-scaled: $(VENV)/.installed
	BIN=$(BIN) scripts/run-scaled.sh

test: $(VENV)/.installed-dev
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.delivery $(BENCH_ARGS)

# Pages at size on a database built once by seed_demo --scale (minutes the first time; docs/performance.md).
bench-pages: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.pages $(BENCH_ARGS)

# Idle authenticated sockets on one daphne process, and live traffic beside them (docs/performance.md).
bench-connections: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.connections $(BENCH_ARGS)
