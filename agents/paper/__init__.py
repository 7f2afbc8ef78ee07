"""The paper reproduced in one command: every claim of arXiv 2606.03003's abstract beside the published figure.

    python -m agents paper --workers 2 --readme docs/world-models.md   # make paper; ~30 min on 2 cores
    python -m agents paper --claims optimiser hstep            # some claim groups only

The claims come in five groups, each computed from a few *parts* under ``<out>/``; a finished part is
reused by the next run (a report's ``report.json``, a training job's ``<name>.json``, a benchmark's rows),
so an interrupted run resumes where it stopped:

* ``report2d`` / ``report3d``: the world-model reports (``agents.report``): 2D the full preset (5 seeds and
  the stress-tested baselines), 3D 3 seeds without the stress tests (the full 3D preset alone takes 22 min
  on 2 cores; ``make report`` runs it);
* ``train``: on seed 0's 2D data, vn_latent under Adam and SGD, the *extrinsic* control (the same network
  with ordinary ``nn.Linear`` maps initialised in the commutant, ``agents.nn.vn.ExtrinsicLinear``) under
  Muon, Adam and SGD, and the explicit baseline's stress tests (augment, soft penalty, 2x wider), which the
  planner can use directly;
* ``closed``: eqbench runs of the planner (100 samples x horizon 10 x 3 iterations, 60 steps, 16 paired
  tasks): 2D at 4 slice + 4 held-out orientations with the VN model (float64 and float32), the MLP, and the
  three stress-tested MLPs; 3D on the SE(3) ladder in frame and physics mode.

[A] optimiser: the composed residual after training (Muon/AdamW + EMA + VICReg, Adam, SGD) and the
extrinsic control's drift. [B] flatness, OOD factors, size. [C] closed loops, 2D and 3D. The bitter
lesson: augmentation, scale and a soft penalty, open and closed loop. H-step: residual and relMSE OOD
factor per horizon, float32 and float64, plain and in the observation's frame (``hstep.png``).

Writes ``paper.json`` (every row: claim, published, ours, verdict, reason, command, and the parts' times),
``paper.md`` (the table), ``hstep.png``, and with ``--readme`` the README's block between
``<!-- paper:begin -->`` and ``<!-- paper:end -->``.
"""

from __future__ import annotations

from agents.paper.claims import PUBLISHED
from agents.paper.run import run_paper

__all__ = ["PUBLISHED", "run_paper"]
