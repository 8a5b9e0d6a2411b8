# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fuzz campaign docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/negsim batch scenarios/ --plots-dir plots --figures all --whatif-offers article5_no_membership --whatif-for baseline --talks 300 --talks-for baseline,pressure_on_russia,pressure_on_ukraine,us_pressure

test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy
	MPLBACKEND=Agg $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_zone.py

# Long hostile-input campaign (not in CI): 10,000 generated scenario files through the loader, 200 through the CLI.
fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz_inputs.py --inputs 10000 --seed 1 --cli 200

# Kills and resumes of every output command, and every output command against every bad location (read-only,
# a file where a folder is wanted and the reverse, a full disk: mounts a tmpfs when root). Not in CI: ~30 minutes.
campaign: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python benchmarks/campaign_files.py --kills 60

docs: $(STAMP)
	$(BIN)/negsim catalogue scenarios/baseline.yaml --markdown docs/catalogue.md --force
	$(BIN)/python -m sim.scenario.formatdoc > docs/format.md

clean:
	rm -rf $(VENV) runs/*/ .pytest_cache .ruff_cache
