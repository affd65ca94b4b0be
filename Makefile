# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PREFECT_PORT ?= 4200
RUN := .run

export PREFECT_SERVER_ANALYTICS_ENABLED := false

# Debian packages: CJK fonts for the Chinese PDF packets, Chromium for the browser checks.
SYSDEPS := fonts-noto-cjk chromium chromium-driver poppler-utils

.PHONY: demo test lint server stop bench clean sysdeps

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

test: $(STAMP)  ## the whole test suite (needs the machine's PostgreSQL and MariaDB)
	$(BIN)/ruff check .
	$(BIN)/pytest -q --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .

server: $(STAMP)  ## a local Prefect server with its UI on http://127.0.0.1:$(PREFECT_PORT)
	@mkdir -p $(RUN)
	@if [ -f $(RUN)/server.pid ] && kill -0 $$(cat $(RUN)/server.pid) 2>/dev/null; then \
	  echo "Prefect server already running (pid $$(cat $(RUN)/server.pid))"; \
	else \
	  nohup $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT) \
	    > $(RUN)/server.log 2>&1 & echo $$! > $(RUN)/server.pid; \
	  for i in $$(seq 1 60); do \
	    curl -fs http://127.0.0.1:$(PREFECT_PORT)/api/health >/dev/null && break; sleep 1; done; \
	fi
	@curl -fs http://127.0.0.1:$(PREFECT_PORT)/api/health >/dev/null || \
	  (echo "Prefect server did not start; see $(RUN)/server.log"; exit 1)
	$(BIN)/prefect config set PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api
	@echo "Prefect UI: http://127.0.0.1:$(PREFECT_PORT)  (sop runs now report to it; 'make stop' ends it)"

stop:  ## stop what `make server` started
	@if [ -f $(RUN)/server.pid ]; then kill $$(cat $(RUN)/server.pid) 2>/dev/null || true; \
	  rm -f $(RUN)/server.pid; echo "Prefect server stopped"; fi
	-@$(BIN)/prefect config unset PREFECT_API_URL -y >/dev/null 2>&1 || true

bench: $(STAMP)  ## benchmarks (not tests); figures go to BENCHMARKS.md by hand, with the command
	$(BIN)/python -m bench.validation_speed
	$(BIN)/python -m bench.forecast_aus_retail
	$(BIN)/python -m bench.forecast_speed

clean:
	rm -rf demo .pytest_cache
