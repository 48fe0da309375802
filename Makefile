# make run   — set up from nothing and start the embedded demo (SQLite, fakeredis, fake WeChat)
# make test  — set up and run the tests (SQLite + fakeredis; the mini-program's Node tests against
#              the embedded backend; again on MariaDB + Redis when TEST_DATABASE_URL and
#              TEST_REDIS_URL are set, as .ci/run does)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
MP := miniprogram_stub

.PHONY: run test test-miniprogram worker lint format clean bench bench-full bench-cluster cluster-up cluster-down cluster-drill

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install -r requirements-dev.txt
	touch $@

# The console's JS (ECharts, htmx) from console_assets/'s lockfile, copied into its static folder.
VENDOR := app/console/static/vendor
$(VENDOR)/.installed: console_assets/package.json console_assets/package-lock.json scripts/vendor-assets.sh
	bash scripts/vendor-assets.sh

run: $(VENV)/.runtime $(VENDOR)/.installed
	bash scripts/run-dev.sh

# An RQ worker for pushes and housekeeping (SimpleWorker, with the scheduler for quiet hours and
# retries). Needs REDIS_URL (and DATABASE_URL) as the API uses them.
worker: $(VENV)/.runtime
	FLASK_APP=wsgi.py $(VENV)/bin/flask worker push default

# The mini-program's test tools, exactly as the committed lockfile says.
$(MP)/node_modules/.installed: $(MP)/package.json $(MP)/package-lock.json
	cd $(MP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.dev $(MP)/node_modules/.installed $(VENDOR)/.installed
	bash scripts/test.sh

# Only the mini-program's tests (they start the embedded backend themselves).
test-miniprogram: $(VENV)/.dev $(MP)/node_modules/.installed
	cd $(MP) && npx jest --runInBand

# Benchmarks (docs/PERFORMANCE.md) on MariaDB `ec_bench` and Redis db 12, started if need be:
# a quick Tunxi-scale pass (under 15 minutes), or Huangshan scale with medians of 3 runs. Search
# is measured behind nginx (installed from Debian when missing and possible: scripts/bench-balancer.sh).
$(VENV)/.bench: bench/requirements.txt $(VENV)/.dev
	$(PIP) install -r bench/requirements.txt
	touch $@

bench: $(VENV)/.bench
	bash scripts/services.sh
	bash scripts/bench-balancer.sh
	$(PY) -m bench.run --scale tunxi --quick

bench-full: $(VENV)/.bench
	bash scripts/services.sh
	bash scripts/bench-balancer.sh
	$(PY) -m bench.run --scale huangshan --repeat 3

# The scale-out layout on this machine (docs/OPERATIONS.md "The whole layout on one machine"): 3 Galera nodes behind
# HAProxy, queue Redis with Sentinels, a Redis Cluster, 3 API processes, 2 workers and cron, in
# $(CLUSTER_DIR). Installs galera-4, rsync and haproxy from Debian when missing (as root).
CLUSTER_DIR ?= /tmp/ec-cluster
cluster-up: $(VENV)/.runtime
	bash scripts/cluster.sh up $(CLUSTER_DIR)

cluster-down:
	bash scripts/cluster.sh down $(CLUSTER_DIR)

# The node-loss drill on a fresh cluster of its own (about 4 minutes; .ci/run runs it as a stage).
cluster-drill: $(VENV)/.bench
	bash scripts/cluster-drill.sh

# Issue 25's benchmark (bench/scenario_cluster.py): search and check-in on one node (MariaDB
# `ec_bench_pair`, Redis db 11, nginx over 3 gunicorns) and through the cluster's balancer, interleaved,
# on the same generated scale, in a fresh cluster of its own (stopped at the end; about 10 minutes).
# Results: bench/results/cluster-$(BENCH_CLUSTER_SCALE).json.
BENCH_CLUSTER_SCALE ?= tunxi
bench-cluster: $(VENV)/.bench
	bash scripts/services.sh
	bash scripts/bench-balancer.sh
	bash scripts/bench-cluster.sh $(BENCH_CLUSTER_SCALE)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format app tests

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache $(MP)/node_modules console_assets/node_modules $(VENDOR)
