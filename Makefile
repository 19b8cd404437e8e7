# Gridmap: `make demo` brings the product up, `make test` runs the whole suite.
# Both install what is missing first (apt packages, a .venv, the Python packages).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# python3-qgis + qgis-providers: QGIS 3.22 itself, headless, opens the OGC API in tests/test_ogc_clients.py.
# nodejs + npm: ESLint for the pages' JavaScript (make lint), installed from tools/js/package-lock.json.
# postgresql-15-pgrouting: walking isochrones and 15-minute coverage of service points (gis/facilities/).
APT_PACKAGES := postgresql-15-postgis-3 postgresql-15-pgrouting chromium fonts-noto-cjk python3-qgis qgis-providers nodejs npm
JS_TOOLS := tools/js
JS_STAMP := $(JS_TOOLS)/node_modules/.installed

.PHONY: demo test screenshots lint bench setup system-packages stop clean-db help

help:
	@echo "make demo   - install what is missing, start PostGIS, load the sample city, demo logins, serve :8000"
	@echo "make test   - install what is missing, then run the whole test suite"
	@echo "make lint   - ruff check, ruff format --check, mypy on gis/, layer contracts, docs/architecture.md, eslint on the pages' JS"
	@echo "make bench  - benchmarks (not part of the tests)"
	@echo "make bench-peers - the optimizer against pymetis, GerryChain, spopt, pygeoda (own venv)"
	@echo "make bench-eval - the optimizer's public evaluation suite: six offline real graphs (own venv)"
	@echo "make bench-ogc - a whole layer through OGC API items vs the GeoJSON endpoint vs TiPg"
	@echo "make bench-tiles - vector tiles against TiPg (own venv .venv-tipg)"
	@echo "make stop   - stop Gridmap's own PostGIS"

# Demo mode (GRIDMAP_DEMO=1): a generated secret key is allowed, and the demo logins (one user
# per role, password printed) are created; never on a production server.
demo: setup
	$(BIN)/gridmap db start
	$(BIN)/gridmap migrate
	$(BIN)/gridmap load-sample
	@# The walking network for the 15-minute coverage of service points (seconds, demo only).
	$(BIN)/gridmap walk-network
	GRIDMAP_DEMO=1 $(BIN)/gridmap user demo
	@# Last month's patrols of the demo street's workers (考核 and the figures show something).
	$(BIN)/gridmap field sample
	@# The nightly roll-up of those tracks (the ranking and month figures read it).
	$(BIN)/gridmap field rollup
	@# Two scenarios to compare on /compare (only on a database that has none yet).
	@if [ "$$($(BIN)/gridmap scenario list --json)" = "[]" ]; then \
	  $(BIN)/gridmap scenario create "临川区 修补现网 300–500" --area 361002 --band 300:500 >/dev/null; \
	  $(BIN)/gridmap scenario create "临川区 重新划分 户数+事件" --area 361002 --band 300:500 \
	    --fresh --weight households=1 --weight incidents_per_year=2 >/dev/null; \
	  $(BIN)/gridmap scenario list; fi
	GRIDMAP_DEMO=1 $(BIN)/gridmap serve

test: setup
	$(BIN)/pytest

screenshots: setup  ## refresh the README's pictures (docs/*.png) from the browser tests
	GRIDMAP_SCREENSHOTS=1 $(BIN)/pytest -m browser

lint: setup $(JS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/architecture.py --check
	$(JS_TOOLS)/node_modules/.bin/eslint --config $(JS_TOOLS)/eslint.config.js maps/static/gridmap

bench: setup
	$(BIN)/python bench/load_sample.py
	$(BIN)/python bench/geojson_layers.py
	$(BIN)/python bench/optimizer_scale.py --dask
	$(BIN)/python bench/editor.py
	$(BIN)/python bench/incidents.py
	$(BIN)/python bench/scenarios.py --throwaway
	$(BIN)/gridmap db start
	$(BIN)/gridmap migrate
	$(BIN)/gridmap load-sample
	$(BIN)/python bench/party.py
	GRIDMAP_DATABASE_URL=$$($(BIN)/gridmap db url) $(BIN)/python bench/exchange.py

# The merge optimizer against pymetis, GerryChain, spopt and pygeoda (bench/README.md). The peers
# live in their own venv, so the project's .venv and CI never see them.
BENCH_VENV  ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

# The TiPg peer of bench/ogc_items.py and bench/tiles.py, in its own venv (it pins its own FastAPI).
TIPG_VENV  ?= .venv-tipg
TIPG_STAMP := $(TIPG_VENV)/.installed

.PHONY: bench-ogc
bench-ogc: setup $(TIPG_STAMP)
	$(BIN)/python bench/ogc_items.py --tipg $(TIPG_VENV)/bin/python

$(TIPG_STAMP): bench/requirements-tipg.txt
	[ -x $(TIPG_VENV)/bin/python ] || $(PYTHON) -m venv $(TIPG_VENV)
	$(TIPG_VENV)/bin/python -m pip install -q -r bench/requirements-tipg.txt
	touch $@

.PHONY: bench-peers
bench-peers: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python bench/optimizer_peers.py

# The optimizer's public evaluation suite (issue 20): graphs that ship in installed wheels.
.PHONY: bench-eval
bench-eval: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python bench/evaluation.py

$(BENCH_STAMP): pyproject.toml bench/requirements-peers.txt
	[ -x $(BENCH_VENV)/bin/python ] || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e . -r bench/requirements-peers.txt
	touch $@

# Vector tiles against TiPg (bench/README.md), serving the same PostGIS as Gridmap.
.PHONY: bench-tiles
bench-tiles: setup $(TIPG_STAMP)
	$(BIN)/gridmap db start
	$(BIN)/gridmap migrate
	$(BIN)/gridmap load-sample
	$(BIN)/python bench/tiles.py --tipg $(TIPG_VENV)/bin/uvicorn

stop:
	$(BIN)/gridmap db stop

setup: system-packages $(STAMP)

# apt only when something is missing, so that a second `make demo` is fast and needs no network.
system-packages:
	@missing=""; \
	ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing postgresql-15-postgis-3"; \
	ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1 || missing="$$missing postgresql-15-pgrouting"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	/usr/bin/python3 -c "import qgis.core" 2>/dev/null || missing="$$missing python3-qgis"; \
	[ -e /usr/lib/qgis/plugins/libprovider_wfs.so ] || missing="$$missing qgis-providers"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,province]'
	touch $(STAMP)

# The JS linter, exactly as locked; again only when the lock changes (like the .venv stamp).
$(JS_STAMP): $(JS_TOOLS)/package-lock.json | system-packages
	npm ci --prefix $(JS_TOOLS) --no-audit --no-fund
	touch $(JS_STAMP)
