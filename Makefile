# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
VSCODE := editors/vscode

.PHONY: demo test lint typecheck editor-deps observability-deps e2e-observability pytest fuzz bench docs clean vsix e2e-vscode advisories-snapshot

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coderev needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=77" wheel

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,bench,train]'
	@touch $@

## demo: scan the bundled vulnerable example app and print its findings with their fixes
demo: $(VENV)/.installed
	@# exit 1 means "findings", which is the point of the demo; 2 would be a real error
	$(BIN)/coderev scan examples/vulnerable-app; test $$? -le 1

## test: lint, type-check and run the whole test suite with coverage, real editors included
test: lint typecheck editor-deps observability-deps pytest

## editor-deps: system packages for the editor tests (Debian's Neovim 0.7, Chromium and the
## code-server build tools), installed with apt-get only when missing; code-server itself is
## installed by its test into the git-ignored .cache/editors/
editor-deps:
	bash editors/neovim/scripts/install-test-deps.sh
	bash editors/vscode/e2e/install-system-deps.sh

## observability-deps: Debian's prometheus package (Prometheus and promtool) for tests/observability,
## installed with apt-get only when missing
observability-deps:
	bash deploy/scripts/install-test-deps.sh

## e2e-observability: the engine scraped by a real Prometheus, alert rules under promtool, the
## dashboard JSON against its generator, the admin page in headless Chromium (part of `make test`)
e2e-observability: $(VENV)/.installed-test observability-deps
	$(BIN)/pytest -p no:cacheprovider tests/observability

lint: $(VENV)/.installed-test
	$(BIN)/ruff check coderev tests bench fuzz deploy

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# pytest exits 5 when it collected no tests; that is a failure here like any other non-zero code.
pytest: $(VENV)/.installed-test
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-report=term -p no:cacheprovider --durations=15

## fuzz: the long randomized runs that `make test` keeps derandomized: incremental == full analysis
## over random edit sequences in every grammar, `coderev scan` on hostile files, raw JSON-RPC at the
## server, kill -9 trials of the slot store. Each prints its count and exits non-zero on a failure;
## failing cases are kept under build/fuzz/.
fuzz: $(VENV)/.installed-test
	$(PY) fuzz/incremental.py
	$(PY) fuzz/scanner.py
	$(PY) fuzz/jsonrpc.py
	$(PY) fuzz/slot_store.py

bench: $(VENV)/.installed-test
	$(PY) bench/scan_speed.py

## advisories-snapshot: rebuild the packaged PyPI advisory snapshot (coderev/analyzers/deps/data/) from
## the archive in shared/data/advisories (docs/dependencies.md)
advisories-snapshot: $(VENV)/.installed
	$(PY) -m coderev.analyzers.deps.snapshot $(firstword $(wildcard shared/data/advisories/*.tar.gz ../shared/data/advisories/*.tar.gz))

docs: $(VENV)/.installed
	$(BIN)/coderev errors --markdown > docs/errors.md
	$(BIN)/coderev rules --format markdown > docs/rules.md
	$(BIN)/coderev engine openapi > docs/openapi/engine-v1.json

$(VSCODE)/node_modules/.package-lock.json: $(VSCODE)/package.json $(VSCODE)/package-lock.json
	cd $(VSCODE) && npm ci --no-audit --no-fund

## vsix: package the VS Code extension for this platform (editors/vscode/coderev-<target>-<version>.vsix,
## e.g. coderev-linux-x64-0.1.0.vsix), with the Python server and the model runtime bundled for this
## platform and Python; CODEREV_BUNDLE_MODEL=0 make vsix leaves the model runtime out (rules only)
vsix: $(VENV)/.installed $(VSCODE)/node_modules/.package-lock.json
	cd $(VSCODE) && CODEREV_BUNDLE_PYTHON=$(abspath $(PY)) npm run --silent vsix

## e2e-vscode: the extension in real VS Code (code-server + headless Chromium); the first run
## installs code-server into .cache/editors/code-server (needs: apt-get install -y chromium
## ripgrep libkrb5-dev build-essential)
e2e-vscode: $(VENV)/.installed-test
	$(BIN)/pytest tests/editors/test_vscode.py -p no:cacheprovider -v -s

## e2e-neovim: the Neovim plugin in headless Neovim 0.12-dev (PyPI, test extra) and Debian's 0.7
## (apt-get installed by the script when /usr/bin/nvim is missing)
.PHONY: e2e-neovim
e2e-neovim: $(VENV)/.installed-test
	bash editors/neovim/scripts/install-test-deps.sh
	$(BIN)/pytest tests/editors/test_neovim.py -p no:cacheprovider -v

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
	rm -rf $(VSCODE)/node_modules $(VSCODE)/out $(VSCODE)/bundled $(VSCODE)/*.vsix
