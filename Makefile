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

typecheck: $(STAMP)
	$(BIN)/mypy shared services sopdesk

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) .sopdesk
