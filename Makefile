# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_TUNE ?= demo:touzle_your_kurchy
OUT    ?= out

.PHONY: install demo test test-fast lint lab bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install whenever pyproject.toml changes ("make test creates/updates .venv").
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/harptab convert "$(DEMO_TUNE)" --key auto -o $(OUT)/demo --name demo
	@echo
	@cat $(OUT)/demo/demo.txt

test: install
	$(BIN)/python -m pytest tests
	HARPTAB_HOME=$$(mktemp -d) $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks/

test-fast: install
	$(BIN)/python -m pytest tests -m "not slow and not browser"

lint: install
	$(BIN)/ruff check harptab_nb tests bench

lab: install
	$(BIN)/jupyter lab notebooks

bench: install
	$(BIN)/python bench/bench_tablature.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_pdf.py --no-png

clean:
	rm -rf $(OUT) .pytest_cache build *.egg-info
