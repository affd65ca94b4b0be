# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PREFECT_PORT ?= 4200
RUN := .run
POOL := sop-process
SOP_CONFIG ?= demo/sop.yaml
SOP_TIMEZONE ?= UTC

export PREFECT_SERVER_ANALYTICS_ENABLED := false

# Debian packages: CJK fonts for the Chinese PDF packets, Chromium for the browser checks,
# pdftotext for the PDF checks, the sqlite3 shell for the bench's SQLite bulk export,
# faketime for running the suite with the clock set to a later month (make test-later-month).
SYSDEPS := fonts-noto-cjk chromium chromium-driver poppler-utils sqlite3 faketime

.PHONY: demo test test-later-month lint server stop bench clean sysdeps

sysdeps:  ## install the Debian packages above (as root, through apt-get)
	@missing=$$(for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "warning: not root, cannot install Debian packages: $$missing (Chinese PDF fonts and browser checks need them)"; fi

$(STAMP): pyproject.toml
	$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## generate the demo ERP and run the monthly cycle on the embedded default
	$(BIN)/sop demo --dir demo

test: $(STAMP)  ## the whole test suite (needs the machine's PostgreSQL and MariaDB); two processes, a test file each
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=15

# No test may depend on the date it runs: the whole suite again, with the machine's clock
# (for every process it starts) set to the first day of a month after the test ERP's end.
# The database servers keep the real clock; the one test whose Prefect server schedules in
# PostgreSQL (now() in the database against the fake clock in Python) would wait for ever,
# a split no real machine has, so it runs with the real clock only.
LATER_MONTH ?= 2027-01-01
test-later-month: $(STAMP) sysdeps  ## the suite under faketime, the clock at $(LATER_MONTH)
	@command -v faketime >/dev/null || { echo "faketime missing: make sysdeps (as root)"; exit 1; }
	faketime -f "@$(LATER_MONTH) 00:00:00" date
	faketime -f "@$(LATER_MONTH) 00:00:00" $(BIN)/pytest -q -n 2 --dist loadfile \
	  --deselect tests/integration/test_prefect_server.py

lint: $(STAMP)
	$(BIN)/ruff check .

server: $(STAMP)  ## Prefect server + UI on :$(PREFECT_PORT), work pool, deployments, a worker
	@mkdir -p $(RUN)
	@if [ -f $(RUN)/server.pid ] && kill -0 $$(cat $(RUN)/server.pid) 2>/dev/null; then \
	  echo "Prefect server already running (pid $$(cat $(RUN)/server.pid))"; \
	else \
	  setsid nohup $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT) \
	    > $(RUN)/server.log 2>&1 & echo $$! > $(RUN)/server.pid; \
	  for i in $$(seq 1 60); do \
	    curl -fs http://127.0.0.1:$(PREFECT_PORT)/api/health >/dev/null && break; sleep 1; done; \
	fi
	@curl -fs http://127.0.0.1:$(PREFECT_PORT)/api/health >/dev/null || \
	  (echo "Prefect server did not start; see $(RUN)/server.log"; exit 1)
	$(BIN)/prefect config set PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api
	@$(BIN)/prefect work-pool inspect $(POOL) >/dev/null 2>&1 || \
	  $(BIN)/prefect work-pool create $(POOL) --type process
	SOP_PROJECT_DIR=$(CURDIR) SOP_CONFIG=$(abspath $(SOP_CONFIG)) SOP_TIMEZONE=$(SOP_TIMEZONE) \
	  $(BIN)/prefect --no-prompt deploy --prefect-file deployments/prefect.yaml --all
	PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api $(BIN)/sop ops automations --config $(SOP_CONFIG)
	@if [ -f $(RUN)/worker.pid ] && kill -0 $$(cat $(RUN)/worker.pid) 2>/dev/null; then \
	  echo "worker already running (pid $$(cat $(RUN)/worker.pid))"; \
	else \
	  PREFECT_RESULTS_PERSIST_BY_DEFAULT=true setsid nohup $(BIN)/prefect worker start \
	    --pool $(POOL) > $(RUN)/worker.log 2>&1 & echo $$! > $(RUN)/worker.pid; \
	fi
	@echo "Prefect UI: http://127.0.0.1:$(PREFECT_PORT)  (deployments of $(SOP_CONFIG); 'make stop' ends all)"

# Each of them leads its own process group (setsid): stopping the group ends its children
# too (the worker's flow-run processes, the server's services), then what is left is killed.
stop:  ## stop what `make server` started, with all their children
	@for p in worker server; do if [ -f $(RUN)/$$p.pid ]; then pid=$$(cat $(RUN)/$$p.pid); \
	  kill -TERM -- -$$pid 2>/dev/null || kill -TERM $$pid 2>/dev/null || true; \
	  for i in $$(seq 1 20); do kill -0 -- -$$pid 2>/dev/null || break; sleep 0.5; done; \
	  kill -KILL -- -$$pid 2>/dev/null || true; rm -f $(RUN)/$$p.pid; echo "$$p stopped"; fi; done
	-@$(BIN)/prefect config unset PREFECT_API_URL -y >/dev/null 2>&1 || true

# The scale bench generates the demo ERP at three scales in SQLite and in the machine's
# PostgreSQL (database sop_bench, created when missing) once, then reuses it; it writes
# bench/results/scale.json and its table into BENCHMARKS.md. Hours at the large scale.
SCALE_ARGS ?= --scales small medium large --dbs sqlite postgresql

bench: $(STAMP)  ## benchmarks (not tests); the scale table is written, the others by hand
	$(BIN)/python -m bench.validation_speed
	$(BIN)/python -m bench.forecast_aus_retail
	$(BIN)/python -m bench.forecast_tourism
	$(BIN)/python -m bench.forecast_reconcile
	$(BIN)/python -m bench.forecast_speed
	$(BIN)/python -m bench.scale $(SCALE_ARGS) --out bench/results/scale.json

clean:
	rm -rf demo .pytest_cache
