# 政务协同办公平台 — the two commands: `make run` and `make test`.
# Both set up everything they need on a fresh Debian/Ubuntu machine (root or sudo).

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# Demo-only password for every demo account (documented in README). Override: make run DEMO_PASSWORD=...
DEMO_PASSWORD ?= Demo@2025oa

.PHONY: run test venv npm system-deps lint typecheck layers pytest migration bench clean

run: venv npm
	$(BIN)/oa init-db
	$(BIN)/oa demo-data --if-empty --password '$(DEMO_PASSWORD)'
	$(BIN)/oa deploy processes bpmn-models --comment "make run"
	# The scheduler (timers, 催办, messages) runs beside the web server and stops with it.
	$(BIN)/oa scheduler & sched=$$!; trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	$(BIN)/oa run --host 127.0.0.1 --port $(PORT) --with-threads

test: venv npm system-deps
	$(MAKE) lint typecheck layers pytest

$(VENV)/.installed: setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 $(PYTHON)"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || ./.ci/apt-install.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

npm: node_modules/.installed

system-deps:
	./.ci/apt-install.sh chromium fonts-noto-cjk postgresql-15 libreoffice-writer-nogui python3-uno fonts-arphic-ukai fonts-arphic-uming poppler-utils

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

layers:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

migration: venv
	mkdir -p var && flock var/migration.lock sh -c "$(BIN)/python -m migrations.regenerate_initial && $(BIN)/ruff format migrations/versions"

bench: venv system-deps
	$(BIN)/python -m bench.engine_bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
