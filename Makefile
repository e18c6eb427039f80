# dangjian-ingest: every target sets itself up; a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect keeps its state (ephemeral API database, profiles) in the project, not in ~/.prefect,
# so `make run`, `make server` and the UI all see the same runs. Tests use their own temporary home.
export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PYTHONUNBUFFERED := 1

.PHONY: install run demo test lint typecheck check db-upgrade server deploy worker clean help

help:
	@echo "make run        crawl the registered portals once into \$$DATABASE_URL (default sqlite:///data/dangjian.db)"
	@echo "make demo       crawl the bundled loopback replica portal into data/demo.db and print the summary"
	@echo "make test       run the test suite"
	@echo "make lint       ruff + mypy"
	@echo "make server     Prefect server + UI on http://127.0.0.1:$(PREFECT_PORT) (state in data/prefect/)"
	@echo "make deploy     create the process work pool and deploy 'nightly' and 'backfill' from prefect.yaml"
	@echo "make worker     start a worker on the pool (runs scheduled and manual runs)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Prefect creates its home without parents: make sure data/prefect exists on a fresh checkout.
$(PREFECT_HOME):
	mkdir -p $@

install: $(STAMP)

db-upgrade: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/dangjian db upgrade

run: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/dangjian db upgrade
	$(BIN)/dangjian ingest

demo: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/python -m replica.demo --database-url sqlite:///data/demo.db

test: $(STAMP)
	scripts/with-postgres.sh $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint test

# --- operations with a Prefect server (see README: "Scheduling, the UI and backfills") -------------
PREFECT_PORT ?= 4200
WORK_POOL    ?= dangjian-process
server deploy worker: export PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api
deploy: export DANGJIAN_PROJECT_DIR := $(CURDIR)

server: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/dangjian db upgrade
	$(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)

deploy: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/prefect work-pool inspect $(WORK_POOL) >/dev/null 2>&1 || \
		$(BIN)/prefect work-pool create $(WORK_POOL) --type process
	$(BIN)/prefect --no-prompt deploy --all --prefect-file prefect.yaml

worker: $(STAMP) | $(PREFECT_HOME)
	$(BIN)/prefect worker start --pool $(WORK_POOL)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
