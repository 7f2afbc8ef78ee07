"""Demonstrations as a Minari dataset, and behaviour cloning on them: an MLP policy and its VN twin.

    python -m agents demos --out runs/demos      the contact planner's solved episodes on the slice (a Minari root)
    python -m agents bc --demos runs/demos --policy mlp --out runs/bc/mlp.pt    (the root's one dataset, or its folder)
    python -m agents bc --demos runs/demos --policy vn --out runs/bc/vn.pt
    eqbench --env-kwargs '{"task": "pusht"}' --agent bc:runs/bc/vn.pt,dtype=float64 --max-steps 300

**Why Minari.** It is Farama's dataset standard for Gymnasium environments (D4RL's successor), a small
pure-Python package over HDF5, and a dataset records its environment's spec (id and kwargs), so
``minari.load_dataset(id).recover_environment()`` rebuilds the env. LeRobot's format would need the
``lerobot`` package (torch models, video codecs, Hugging Face datasets) for a 12-number state.
``--out`` is a Minari datasets root: the dataset lands in ``<out>/<id>`` with an id that names the env
and the recording (``demos_dataset_id``), so ``MINARI_DATASETS_PATH=<out>`` makes ``minari.load_dataset(id)``
and ``minari show <id>`` work, and recordings with other settings sit beside it. Each episode keeps its
reset ``seed`` and ``options={"orientation": <rad>}``: ``env.reset(seed=seed, options=options)`` replays its
start exactly. Steps store the executed ``actions``: the expert's plus the recording noise, projected onto
the unit disk as the env projects every delta action, so they lie in the action space (the env is handed
the unprojected sum; the two execute the same step up to float rounding). ``infos`` hold T+1 entries as
Minari's ``DataCollector`` stores them, entry k describing ``observations[k]`` (the reset's first):
``expert_action`` (the expert's action at that observation, the label behaviour cloning learns: noise
during recording and clean labels is DART, which teaches the policy to recover from its own drift),
``coverage`` and ``is_success``.

**The policies.** Both read the 12-number state observation and predict a chunk of ``horizon`` delta
actions as a Gaussian mixture (``modes`` components), trained by negative log likelihood on the expert's
chunks; the agent acts with the first ``execute`` actions of the most probable component's chunk, then
predicts again (``MixturePolicy`` says why both parts are needed on this expert). ``mlp``: observations
standardised by the data's statistics, then an MLP. ``vn``: Vector-Neuron layers on the state's vectors
taken relative to the block, each joined by its quarter turn; the component means are VN output vectors,
the mixture weights and scales an MLP of inner products: ``policy(g.s) = g.policy(s)`` for every rotation
g, the choice of component included, so trained on the slice it acts the same at every orientation.
"""

from __future__ import annotations

# DAgger (``dagger``, ``run_bc``) is imported from ``agents.imitation.dagger``: the module shares the function's name
from agents.imitation.agent import BCAgent
from agents.imitation.demos import Demos, demos_dataset_id, load_demos, record_demos
from agents.imitation.policies import bc_policy, load_policy, save_policy
from agents.imitation.train import train_bc

__all__ = [
    "BCAgent",
    "Demos",
    "bc_policy",
    "demos_dataset_id",
    "load_demos",
    "load_policy",
    "record_demos",
    "save_policy",
    "train_bc",
]
