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

.PHONY: lock install run demo-server alerts demo test lint typecheck check db-upgrade server deploy worker clean help browse browse-demo browse-demo-server

help:
	@echo "make run        crawl the registered portals once into \$$DATABASE_URL (default sqlite:///data/dangjian.db)"
	@echo "make demo       crawl the bundled loopback replica portal into data/demo.db and print the summary"
	@echo "make test       run the test suite"
	@echo "make browse     read-only web view of \$$DATABASE_URL's SQLite corpus on http://127.0.0.1:$(BROWSE_PORT) (Datasette)"
	@echo "make browse-demo  the same over make demo's corpus (browse-demo-server: make demo-server's)"
	@echo "make lock       re-resolve dependencies into constraints.txt (the lock every install uses)"
	@echo "make lint       ruff + mypy"
	@echo "make server     Prefect server + UI on http://127.0.0.1:$(PREFECT_PORT) (state in data/prefect/)"
	@echo "make deploy     create the process work pool and deploy 'nightly' and 'backfill' from prefect.yaml"
	@echo "make worker     start a worker on the pool (runs scheduled and manual runs)"
	@echo "make alerts WEBHOOK_URL=…  notify a webhook when the nightly fails or a site goes quiet"
	@echo "make demo-server  with server and worker up: serve the replica, run 'replica-demo' through the worker"

# Every install takes the exact versions of the committed lock (constraints.txt, written by `make lock`);
# pyproject.toml only states the ranges that are allowed.
LOCK := constraints.txt

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

# Re-resolve pyproject.toml's ranges in a throwaway venv and rewrite the lock; commit it with pyproject.toml.
lock:
	scripts/lock.sh $(PYTHON)

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
	scripts/ensure-chromium.sh
	scripts/with-postgres.sh $(BIN)/python -m pytest -q

# The web view: Datasette over the SQLite file, read-only, on the loopback interface only.
BROWSE_PORT ?= 8001
browse: $(STAMP)
	$(BIN)/dangjian browse --port $(BROWSE_PORT)

# The offline tour's corpora: make demo's and make demo-server's.
browse-demo: $(STAMP)
	$(BIN)/dangjian --database-url sqlite:///data/demo.db browse --port $(BROWSE_PORT)

browse-demo-server: $(STAMP)
	$(BIN)/dangjian --database-url sqlite:///data/demo-server.db browse --port $(BROWSE_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint test

# --- operations with a Prefect server (see README: "Scheduling, the UI and backfills") -------------
PREFECT_PORT ?= 4200
WORK_POOL    ?= dangjian-process
server deploy worker demo-server alerts: export PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api
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

# With `make server` running and the deployments made: notify WEBHOOK_URL (JSON {subject, body}) when the
# nightly run fails or a site is quiet for DANGJIAN_QUIET_RUNS runs (default 3). ALLOW_PRIVATE=1 for a receiver on
# this machine or an intranet host (link-local and cloud-metadata addresses are refused whatever it says).
alerts: $(STAMP) | $(PREFECT_HOME)
	@test -n "$(WEBHOOK_URL)" || { echo "usage: make alerts WEBHOOK_URL=https://…" >&2; exit 2; }
	$(BIN)/dangjian alerts --webhook-url "$(WEBHOOK_URL)" $(if $(ALLOW_PRIVATE),--allow-private)

# With `make server` and `make worker` running: serve the replica portal on 127.0.0.1:8765, run the
# replica-demo deployment through the worker into data/demo.db, and keep serving (Ctrl-C stops).
demo-server: deploy
	$(BIN)/python -m replica.demo_server

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
