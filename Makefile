# Nightwatch — the two commands first: `make up` (run the platform) and `make test` (every test).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv must never try to download a Python build: use the machine's 3.11.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --no-sync

.PHONY: help install up down status test lint format migrate init-sql pipeline bench-gateway bench-notify bench-escalation bench-incidents screenshots bench bench-standin bench-oncall bench-suppression bench-routing chaos bench-fairness bench-push bench-notify-cost bench-retention rolling-restart bench-replicas

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: ## install what is missing (uv, Python deps from uv.lock)
	@tools/bootstrap.sh

up: install ## start the whole stack detached (embedded PostgreSQL unless DATABASE_URL is set)
	@$(RUN) python tools/stack.py up

down: ## stop everything `make up` started
	@$(RUN) python tools/stack.py down

status: ## show what is running
	@$(RUN) python tools/stack.py status

rolling-restart: ## restart every replica of a `make up REPLICAS=N` stack in turn (drain, SIGTERM, start, ready)
	@$(RUN) python tools/rolling_restart.py

test: install ## run every test against real PostgreSQL (TEST_DATABASE_URL, else embedded)
	@cd web-ui && npx vitest run --reporter=dot
	@$(RUN) pytest $(PYTEST_ARGS)

screenshots: install ## browser tests against a fresh stack, saving each page to docs/screenshots/
	@UI_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(RUN) pytest tests/web_ui -q

lint: install ## ruff, format check, mypy
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) mypy libs/*/src services/*/src

format: install ## apply ruff's fixes and formatting
	@$(RUN) ruff check --fix .
	@$(RUN) ruff format .

migrate: install ## apply database migrations to DATABASE_URL
	@$(RUN) python -m nightwatch_core.migrations apply

init-sql: install ## regenerate database/init.sql from database/migrations
	@$(RUN) python -m nightwatch_core.migrations write-init-sql

pipeline: install ## the 8-stage delivery pipeline (run-pipeline.sh); not part of `make test`
	@./run-pipeline.sh

bench: install ## alerts on the real stack (make up, own ports, throwaway db): alerts/s, p99, link lag, pages, CPU/alert
	@$(RUN) python -m bench.stack_bench

chaos: install ## the fault suite on its own stack: kill -9 each service, stop PostgreSQL, webhook receiver down, slow neighbours; fails on a lost alert or page, a 500, recovery > 10 s
	@$(RUN) python -m bench.chaos

bench-fairness: install ## one key attacking (slow bodies + a flood) vs others' p99 through the gateway, idle and under attack (own stack)
	@$(RUN) python -m bench.gateway_fairness

bench-standin: install ## secondary: ingestion alone against a stand-in incident-management (alerts/s, p99, RSS)
	@$(RUN) python -m bench.ingestion_bench

bench-gateway: install ## gateway overhead: req/s and p99 through the gateway vs direct (own stack, free ports)
	@$(RUN) python -m bench.gateway_bench

bench-notify: install ## notification outbox: accepted/s, delivered/s (mock, signed webhook) on its own stack
	@$(RUN) python -m bench.notify_bench

bench-incidents: install ## incident lifecycle: creates/s, acks/s (with the on-call stop), racing acks, list/stats p99 (own stack)
	@$(RUN) python -m bench.incidents_bench

bench-push: install ## alert POST -> row in 5 open consoles by push (Chromium): p50/p95/max, fails past p95 1 s (own stack)
	@$(RUN) python -m bench.push_latency_bench

bench-notify-cost: install ## write transactions/s with no change signal, NOTIFY inside the transaction, NOTIFY after the commit (own database)
	@$(RUN) python -m bench.notify_cost_bench

bench-escalation: install ## escalation timers: due -> step -> page lateness, 2 replicas, duplicates (own database)
	@$(RUN) python -m bench.escalation_timers

bench-pages: install ## new incident -> level-1 page recorded: CPU ms per incident per process (incl. PostgreSQL), 800-incident storm
	@$(RUN) python -m bench.page_cost_bench

bench-oncall: install ## on-call rotation math: who-is-on-call lookup and 92-day shift listing cost
	@$(RUN) python -m bench.oncall_rotation_bench

bench-retention: install ## ingest p99 and list p95 through the gateway, retention off vs removing 10M old alerts (own stack)
	@$(RUN) python -m bench.retention_bench

bench-suppression: install ## silences/windows check on the alert path: us per alert with 0, 20 windows, 200 silences
	@$(RUN) python -m bench.suppression_bench

bench-routing: install ## routing rules on the alert path: us per alert with 0 and 200 rules (docs/routing.md)
	@$(RUN) python -m bench.routing_bench

bench-replicas: install ## ingestion and incident paths at 1 then 2 replicas per service, one run: req/s, p50/p99, CPU ms/request over every process (BENCH_SECONDS 10)
	@$(RUN) python -m bench.replicas_bench
