# Tousu: one entry point. `make run` runs the platform, `make test` passes the tests.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
SERVICES := intake routing sla sanctions reporting

.PHONY: install browser run test lint typecheck docs docs-check up down bench bench-quick clean

install: ## the workspace's own environment, from the one lockfile
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

run: install ## the five services as local processes, demo organisations loaded; Ctrl-C stops them
	@$(UV) run --no-sync tousu run

browser: ## Debian's chromium for the dashboard test (Playwright drives it; it never downloads a browser of its own)
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium is not installed: the dashboard test will be skipped"; }

test: install browser ## the whole suite: lint, types, layers, docs drift, unit → component → integration → e2e
	@$(UV) run --no-sync ruff check .
	@$(UV) run --no-sync ruff format --check .
	@$(UV) run --no-sync mypy
	@$(UV) run --no-sync lint-imports
	@$(UV) run --no-sync python -m tousu.contracts.snapshots --check
	@$(UV) run --no-sync python -m tousu.kit.docs --check
	@$(UV) run --no-sync pytest -p no:cacheprovider

lint: install
	@$(UV) run --no-sync ruff check . && $(UV) run --no-sync ruff format --check .

typecheck: install
	@$(UV) run --no-sync mypy

docs: install ## regenerate docs/openapi and docs/asyncapi, and the event schema snapshots
	@$(UV) run --no-sync python -m tousu.contracts.snapshots
	@$(UV) run --no-sync python -m tousu.kit.docs

up: ## the same platform with docker compose
	docker compose -f deploy/compose.yaml up --build -d

down:
	docker compose -f deploy/compose.yaml down

bench: install ## the benchmark harness (about 15 minutes); bench-quick: about a minute
	@$(UV) run --no-sync python -m bench

bench-quick: install
	@$(UV) run --no-sync python -m bench --quick

clean:
	rm -rf .venv .mypy_cache .ruff_cache test-artifacts
