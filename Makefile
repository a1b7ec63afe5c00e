# The two commands a user types: `make demo` and `make test`. Each builds what is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
BUNDLE := dash_live/dash_live.js
TS_SOURCES := $(shell find src -type f) package.json package-lock.json webpack.config.js tsconfig.json scripts/quote-proptypes.js
CHROMIUM := /usr/bin/chromium
BENCH_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python) python3.12)
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_INSTALLED := $(BENCH_VENV)/.installed
DEMO_VENV := .venv-demo
DEMO_PY := $(DEMO_VENV)/bin/python
DEMO_INSTALLED := $(DEMO_VENV)/.installed

.PHONY: demo test lint typecheck unit tstest compat bench build dist system clean

# The demo's background-job card wants a redis-server (the app starts a private one).
# `make demo BACKEND=fastapi` serves it on Dash's FastAPI backend (uvicorn) instead of Flask.
BACKEND ?= flask
demo: $(DEMO_INSTALLED)
	@$(MAKE) --no-print-directory system SYSTEM_PACKAGES=/usr/bin/redis-server:redis-server
	SHOWCASE_BACKEND=$(BACKEND) $(DEMO_PY) -m examples.showcase.app

# The showcase gets a venv of its own with only the [demo] extra, not the test and lint tools of
# .venv. The editable install runs the hatch build hook in pip's isolated build env (which has
# dash[dev] for the generator), so the bundle is built here without .venv; depending on the
# TypeScript sources reinstalls, and so rebuilds, when they change.
$(DEMO_INSTALLED): pyproject.toml hatch_build.py $(TS_SOURCES)
	test -x $(DEMO_PY) || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_PY) -m pip install --quiet --upgrade pip
	$(DEMO_PY) -m pip install --quiet -e ".[demo]"
	touch $@

test: $(INSTALLED) $(BUNDLE) system lint typecheck tstest
	$(PY) -m pytest
	$(PY) scripts/compat.py

# The Dash and Python matrix (scripts/compat.py): Dash 3.0.0 and 3.2.0, and Python 3.10 and
# 3.13, each in a venv of its own under .venv-compat/ running the compatibility subset.
compat: $(INSTALLED) $(BUNDLE) system
	$(PY) scripts/compat.py

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(INSTALLED) $(BUNDLE)
	$(VENV)/bin/mypy
	npx tsc -p tests/ts

# The pure client modules (ops, patch, SSE parsing) under vitest, in Node: tests/ts.
tstest: node_modules/.package-lock.json
	npx vitest run

unit: $(INSTALLED) $(BUNDLE)
	$(PY) -m pytest tests/unit

# The benchmarks compare dash-live with the packages it replaces, side by side. Those are kept out
# of .venv in a venv of their own: dash-event-callback pins Dash 3.2.0 and needs Python >= 3.12,
# hence --no-deps. Every benchmarks/bench_*.py script runs, even when one before it failed.
bench: $(BENCH_INSTALLED) $(BUNDLE) system
	@status=0; for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(BENCH_PY) $$script || status=1; \
	done; exit $$status

$(BENCH_INSTALLED): pyproject.toml hatch_build.py
	test -x $(BENCH_PY) || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -e ".[dev]" "dash[diskcache,fastapi]==4.4.1" aiohttp
	$(BENCH_PY) -m pip install --quiet --no-deps dash-event-callback==1.2.0 dash-socketio==1.1.1
	touch $@

build: $(BUNDLE)

# The sdist and the wheel, both holding the bundle and the generated classes: installing either
# needs no Node.js (the build hook finds the generated files fresh and skips npm).
dist: $(INSTALLED)
	rm -rf dist
	$(PY) -m build --outdir dist

# The editable install runs the hatch build hook (hatch_build.py), which runs `npm ci`, webpack
# and Dash's component generator when the generated files are missing or stale.
$(INSTALLED): pyproject.toml hatch_build.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

$(BUNDLE): $(TS_SOURCES) node_modules/.package-lock.json $(INSTALLED)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm run build
	touch $@

# Browser tests drive Debian's Chromium and the scale-out tests a real redis-server: install the
# Debian packages when missing and we may (root).
SYSTEM_PACKAGES := $(CHROMIUM):chromium /usr/bin/redis-server:redis-server
system:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
		[ -x "$${entry%%:*}" ] || missing="$$missing $${entry##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages:$$missing (install them as root)"; exit 1; \
		fi; \
	fi

clean:
	rm -rf node_modules $(VENV) $(BENCH_VENV) $(DEMO_VENV) .venv-compat dist build dash_live/dash_live.js* dash_live/proptypes.js \
		dash_live/metadata.json dash_live/package-info.json dash_live/_imports_.py
	find dash_live -maxdepth 1 -name '[A-Z]*.py' -delete
