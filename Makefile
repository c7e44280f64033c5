# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint typecheck pytest bench docs clean

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coderev needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

## demo: scan the bundled vulnerable example app and print its findings with their fixes
demo: $(VENV)/.installed
	-$(BIN)/coderev scan examples/vulnerable-app

## test: lint, type-check and run the whole test suite with coverage
test: lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check server engine analyzers tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# pytest exits 5 when it collected no tests; that is a failure here like any other non-zero code.
pytest: $(VENV)/.installed-test
	$(BIN)/pytest --cov --cov-report=term -p no:cacheprovider

bench: $(VENV)/.installed-test
	$(PY) bench/scan_speed.py

docs: $(VENV)/.installed
	$(BIN)/coderev errors --markdown > docs/errors.md
	$(BIN)/coderev rules --format markdown > docs/rules.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
