# The two commands of the README:
#   make run   - install (once) and run every scenario, with plots, into results/run/
#   make test  - install (once) and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= results/run

.PHONY: install run test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/lifecycle run scenarios/*.toml -o $(OUT)

# On every core, one test file per worker (a module's fixtures, such as a calibration
# fit, are computed once); `$(BIN)/python -m pytest tests/test_x.py` runs one file serially.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check lifecycle tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_ensemble.py
	$(BIN)/python benchmarks/bench_sensitivity.py
	$(BIN)/python benchmarks/bench_calibration.py
	$(BIN)/python benchmarks/bench_checks.py

# The comparison figure embedded in the README.
docs: $(STAMP)
	$(BIN)/lifecycle compare scenarios/baseline.toml scenarios/disruptive_shock.toml \
	    scenarios/shock_with_renewal.toml scenarios/networking_initiative.toml \
	    --vars "Firms,Employment,Member Share,Relative Technology" -o docs/comparison.png \
	    --force > /dev/null
	@# the network's two basins (member share x trust), by the model's own script
	$(BIN)/python docs/network_basin.py -o docs/network_basin.png > /dev/null
	@# the data conversions and fits behind the model's sourced constants (prints, writes nothing)
	$(BIN)/python docs/calibrate_constants.py
	@# which behavioural constants the scenarios' series tell apart (prints, writes nothing)
	$(BIN)/python docs/identifiability.py
	@# stock-and-flow diagrams (overview and one per sector) and the loops-by-stage figure;
	@# --force: a fresh clone has the committed figures without their (ignored) manifests
	$(BIN)/lifecycle diagram --sector all --format svg -o docs/diagrams --force > /dev/null
	$(BIN)/lifecycle diagram -o docs/diagrams/overview.png --force > /dev/null
	$(BIN)/lifecycle loops scenarios/baseline.toml scenarios/shock_with_renewal.toml \
	    -o docs/loops --force > /dev/null

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
