# mmwsol: `make demo` (train + test CAM on the synthetic set) and `make test`.
# Both install into .venv first when needed (idempotent, quiet when done).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmwsol-installed
# pip on some machines prints one line per index folder it skips; hide those
PIPQ = 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
DEMO_CFG := configs/cam/cam_tinynet_1xb32_synthetic.py
DEMO_DIR := work_dirs/demo
JOBS ?= 2

.PHONY: install demo test lint clean-demo

install: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/tests.txt requirements/lint.txt setup.py mmwsol/evaluation/functional/_level_sets.c
	@echo "[mmwsol] installing into $(VENV) (first run only)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q 'setuptools<70' wheel $(PIPQ)
	@$(PY) -m pip install -q -r requirements/runtime.txt $(PIPQ)
	@$(PY) -m pip install -q --no-build-isolation mmcv-lite==2.2.0 $(PIPQ)
	@$(PY) -m pip install -q -r requirements/tests.txt $(PIPQ)
	@$(PY) -m pip install -q -r requirements/lint.txt $(PIPQ)
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . $(PIPQ)
	@$(PY) -c "import mmwsol, mmpretrain, mmcv; print('[mmwsol] installed', mmwsol.__version__)"
	@touch $(STAMP)

demo: install
	@$(PY) tools/demo.py --config $(DEMO_CFG) --work-dir $(DEMO_DIR)

test: install
	@$(PY) -m pytest -q -n $(JOBS) --dist loadfile --durations=10

# ruff (flake8 + isort + formatter roles) and codespell; settings in ruff.toml
# and .codespellrc, the same checks as .pre-commit-config.yaml
LINT_PATHS := mmwsol tools tests configs setup.py
lint: install
	@$(VENV)/bin/ruff check $(LINT_PATHS)
	@$(VENV)/bin/ruff format --check $(LINT_PATHS)
	@$(VENV)/bin/codespell mmwsol tools tests configs docs README.md Makefile
	@echo "[mmwsol] lint passed"

clean-demo:
	rm -rf $(DEMO_DIR) data/synthetic
