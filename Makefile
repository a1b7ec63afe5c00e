# The two commands a user types: `make demo` and `make test`. Each builds what is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
BUNDLE := dash_live/dash_live.js
TS_SOURCES := $(shell find src -type f) package.json package-lock.json webpack.config.js tsconfig.json scripts/quote-proptypes.js
CHROMIUM := /usr/bin/chromium

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

bench: $(INSTALLED) $(BUNDLE) system
	$(PY) benchmarks/bench_delivery.py

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
	rm -rf node_modules $(VENV) dist build dash_live/dash_live.js* dash_live/proptypes.js \
		dash_live/metadata.json dash_live/package-info.json dash_live/_imports_.py
	find dash_live -maxdepth 1 -name '[A-Z]*.py' -delete
