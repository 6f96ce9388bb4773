# Two commands matter: `make up` runs the whole system, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,train]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/sopdesk up

test: $(STAMP)
	sh scripts/ensure-chromium.sh  # the dashboard test drives Debian's chromium
	sh scripts/ensure-promtool.sh  # promtool tests the alert rules
	$(BIN)/pytest -q -p no:cacheprovider --durations=10

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Test folders are checked one at a time: each has its own conftest.py and imports its
# *_support.py helpers (and tests/testkit.py) by bare name, as pytest runs them.
typecheck: $(STAMP)
	$(BIN)/mypy shared services sopdesk bench
	$(BIN)/mypy tests/conftest.py tests/testkit.py tests/eventkit.py
	@status=0; for dir in tests/*/; do \
		MYPYPATH=tests $(BIN)/mypy --no-error-summary "$$dir" || status=1; \
	done; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) .sopdesk
