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

.PHONY: setup demo test bench report results lint wheel-check pretrained

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_EXTRA) "$(TORCH)" -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# the showcase videos, then the story: collect on the slice, train the world models, plan at every orientation
demo: setup
	$(BIN)/python -m agents demo
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

# every run behind the README's planning tables (about 50 minutes; needs `make report` for the checkpoints)
R2 := runs/report2d/seed0
R3 := runs/report3d/seed0
EQB := $(BIN)/python -m agents.benchmark --max-steps 60
results: setup
	$(BIN)/python -m agents sb3 --algo ppo --task push --steps 1000000 --out runs/ppo_push_1m.zip
	$(BIN)/python -m agents sb3 --algo sac --task push --steps 60000 --out runs/sac_push_60k.zip
	$(EQB) --agent planner:$(R2)/vn_explicit.pt,dtype=float64 --label "VN explicit + eq planner fp64" --out runs/bench/push_vn_eq64
	$(EQB) --agent planner:$(R2)/vn_explicit.pt --label "VN explicit + eq planner fp32" --videos 0 --out runs/bench/push_vn_eq32
	$(EQB) --agent planner:$(R2)/vn_latent.pt,dtype=float64 --label "VN latent + eq planner fp64" --videos 0 --out runs/bench/push_vnlatent_eq64
	$(EQB) --agent planner:$(R2)/mlp_explicit.pt,equivariant=false --label "MLP explicit + plain planner" --out runs/bench/push_mlp_plain
	$(EQB) --agent planner:$(R2)/vn_explicit.pt,equivariant=false --label "VN explicit + plain planner" --videos 0 --out runs/bench/push_vn_plain
	$(EQB) --agent sb3:ppo:runs/ppo_push_1m.zip --label "SB3 PPO 1M (slice)" --videos 0 --out runs/bench/push_ppo1m
	$(EQB) --agent sb3:sac:runs/sac_push_60k.zip --label "SB3 SAC 60k (slice)" --videos 0 --out runs/bench/push_sac60k
	$(EQB) --agent scripted --label "scripted pusher" --videos 0 --out runs/bench/push_scripted
	$(EQB) --env-kwargs '{"task": "pose"}' --agent planner:$(R2)/vn_explicit.pt,dtype=float64 --label "VN explicit + eq planner fp64" --tasks 4 --videos 0 --out runs/bench/pose_vn_eq64
	$(EQB) --env-kwargs '{"task": "pose"}' --agent planner:$(R2)/mlp_explicit.pt,equivariant=false --label "MLP explicit + plain planner" --tasks 4 --videos 0 --out runs/bench/pose_mlp_plain
	$(EQB) --env-kwargs '{"task": "pusht"}' --agent planner:$(R2)/vn_explicit.pt,dtype=float64 --label "VN explicit + eq planner fp64" --tasks 4 --videos 0 --out runs/bench/pusht_vn_eq64
	$(EQB) --env-kwargs '{"task": "pusht"}' --agent scripted --label "scripted pusher" --tasks 4 --videos 0 --out runs/bench/pusht_scripted
	$(EQB) --env-kwargs '{"task": "pusht"}' --agent random --label "random" --tasks 4 --videos 0 --out runs/bench/pusht_random
	$(EQB) --env EqPushT3D-v0 --orientations ladder --per-split 1 --tasks 4 --videos 0 --agent planner:$(R3)/vn_explicit.pt,dtype=float64,horizon=10 --label "VN explicit + eq planner fp64 H10" --out runs/bench/3d_vn_eq64_h10
	$(EQB) --env EqPushT3D-v0 --orientations ladder --per-split 1 --tasks 4 --videos 0 --agent planner:$(R3)/vn_explicit.pt,dtype=float64 --label "VN explicit + eq planner fp64" --out runs/bench/3d_vn_eq64
	$(EQB) --env EqPushT3D-v0 --orientations ladder --per-split 1 --tasks 4 --videos 0 --agent planner:$(R3)/mlp_explicit.pt,equivariant=false,horizon=10 --label "MLP explicit + plain planner H10" --out runs/bench/3d_mlp_plain_h10
	$(EQB) --env EqPushT3D-v0 --env-kwargs '{"task": "push", "orientation_mode": "physics"}' --orientations ladder --per-split 1 --tasks 4 --videos 0 --agent planner:$(R3)/vn_explicit.pt,dtype=float64,horizon=10 --label "VN explicit + eq planner fp64 H10" --out runs/bench/3d_vn_eq64_h10_physics
	$(EQB) --env EqPushT3D-v0 --orientations ladder --per-split 1 --tasks 4 --videos 0 --agent scripted --label "scripted pusher" --out runs/bench/3d_scripted
	$(BIN)/python -m agents compare runs/bench/push_* runs/bench/pose_* runs/bench/pusht_*
	$(BIN)/python -m agents compare runs/bench/3d_*

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# the project as a user installs it: build the wheel, install it into a fresh venv, import every module and run
# eqbench with a shipped model from a folder outside the repository
wheel-check: setup
	rm -rf dist .venv-wheel
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/python -m pip install --quiet --upgrade pip
	.venv-wheel/bin/python -m pip install --quiet $(PIP_EXTRA) "$(TORCH)" dist/eqenvs-*.whl
	cd "$$(mktemp -d)" && $(CURDIR)/.venv-wheel/bin/python $(CURDIR)/.ci/check_wheel.py

# rebuild the reference models shipped in agents/pretrained (the command and seed of each are in its README)
pretrained: setup
	$(BIN)/python -m agents pretrain
