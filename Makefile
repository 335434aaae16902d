# Two commands matter: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_TIMEOUT ?= 1500

.PHONY: run run-headless demo test test-fast lint typecheck bench bench-ingest bench-influx bench-api bench-ui \
        screenshots bundle deb test-deb install-linux system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $$(packaging/find_python.sh) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,packaging]"
	@touch $(STAMP)

venv: $(STAMP)

system-deps:
	@packaging/system_deps.sh

run: $(STAMP)
	$(PY) main.py

run-headless: $(STAMP)
	$(PY) main.py --headless

test: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen timeout $(PYTEST_TIMEOUT) $(PY) -m pytest -q -p no:cacheprovider -m "not deb"

# The Debian package end to end (tests/test_deb.py: install into a temporary root, selftest,
# screenshots, desktop-file-validate, lintian, an upgrade that keeps data): builds `make deb` first.
test-deb: system-deps deb
	QT_QPA_PLATFORM=offscreen HA_INGESTOR_DEB=$$(ls -t dist/ha-ingestor_*.deb | head -n 1) \
	  HA_INGESTOR_BUNDLE=dist/ha-ingestor timeout 1500 $(PY) -m pytest -q -p no:cacheprovider -m deb tests/test_deb.py

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -x -m "not slow and not influx and not victoria"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy core app main.py

bench: bench-ingest bench-influx bench-api bench-ui

bench-ingest: $(STAMP)
	$(PY) bench/ingest.py

bench-influx: $(STAMP) system-deps
	$(PY) bench/influx.py

bench-api: $(STAMP)
	$(PY) bench/api.py

bench-ui: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/ui.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) main.py --demo --data-dir $$(mktemp -d) --screenshots docs/screenshots

bundle: $(STAMP)
	nice -n 10 $(VENV)/bin/pyinstaller --noconfirm --log-level WARN packaging/ha_ingestor.spec
	QT_QPA_PLATFORM=offscreen dist/ha-ingestor/ha-ingestor --selftest

# dist/ha-ingestor_<version>-<revision>_<arch>.deb (packaging/deb/build_deb.sh; packaging/README.md)
deb: bundle
	PYTHON=$(PY) nice -n 10 packaging/deb/build_deb.sh --bundle dist/ha-ingestor --out dist

install-linux: bundle
	packaging/install_linux.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
