# Two commands on a fresh clone: `make demo` (set up, then the end-to-end showcase) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned in the same pip command as everything that depends on it, so pip never pulls a
# multi-GB CUDA build. Where PyPI's torch 2.13.0 is a CUDA build, add the CPU index:
#   make demo PIP_EXTRA="--extra-index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
PIP_EXTRA ?=
export MUJOCO_GL ?= egl

.PHONY: setup demo test bench report lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_EXTRA) "$(TORCH)" -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# the showcase videos, then the story: collect on the slice, train the world models, plan at every orientation
demo: setup
	$(BIN)/python -m agents.demo
	$(BIN)/python -m agents story

# pytest exits 5 when it collects no tests: that is a failure, not a pass
test: setup
	@$(BIN)/python -m pytest -q; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$code

# the environment benchmarks (2D, 3D) and the planning-speed benchmark
bench: setup
	$(BIN)/python -m eqenvs.benchmark
	$(BIN)/python -m eqenvs.benchmark3d
	$(BIN)/python -m agents plan-speed

# the world-model report on both envs (5 seeds each; about 8 + 20 minutes on 2 cores)
report: setup
	$(BIN)/python -m agents report --env EqPushT-v0 --preset full --out runs/report2d
	$(BIN)/python -m agents report --env EqPushT3D-v0 --preset full --out runs/report3d

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
