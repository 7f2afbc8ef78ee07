"""Speed probes: commands that measure how fast the toolkit runs on the machine at hand and print their figures
(they are benchmarks of the code, not of agents: ``agents.benchmark`` is eqbench).

* ``plan_speed`` (``python -m agents plan-speed``): one MPPI plan against the matmul floor, eager and compiled;
  torch threads on an idle and a busy machine; batched evaluation;
* ``optim_speed`` (``optim-speed``): Muon's orthogonalisation in bfloat16 vs float32, natively and on an emulated
  AVX2-only CPU, and what each optimiser buys in model quality;
* ``scale_speed`` (``scale-speed``): one benchmark serial, on worker processes and on Ray (rows compared), and
  the cost model of a large sweep;
* ``vn_speed`` (``vn-speed``): VN against plain networks side by side (equal parameters, equal FLOPs), one plan
  against its matmul floor eager and compiled, and SB3 PPO steps per second with the VN and the MLP policy;
* ``bit_identity`` (``bit-identity``): the VN code's outputs bit for bit against a git revision, the check every
  speed change passes before it is kept (published tables were produced with the code as it was).
"""
