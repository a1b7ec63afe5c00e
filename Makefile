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

.PHONY: demo test lint typecheck unit bench build system clean

# The demo's background-job card wants a redis-server (the app starts a private one).
demo: $(INSTALLED) $(BUNDLE)
	@$(MAKE) --no-print-directory system SYSTEM_PACKAGES=/usr/bin/redis-server:redis-server
	$(PY) -m examples.showcase.app

test: $(INSTALLED) $(BUNDLE) system lint typecheck
	$(PY) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(INSTALLED) $(BUNDLE)
	$(VENV)/bin/mypy

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
	rm -rf node_modules $(VENV) $(BENCH_VENV) dist build dash_live/dash_live.js* dash_live/proptypes.js \
		dash_live/metadata.json dash_live/package-info.json dash_live/_imports_.py
	find dash_live -maxdepth 1 -name '[A-Z]*.py' -delete
