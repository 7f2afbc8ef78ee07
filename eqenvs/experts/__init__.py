"""Privileged experts: controllers that read the true state or the simulator itself, not what a policy sees.

They are the reference points of the env suite (the demo, the benchmarks, demonstrations for imitation), kept
apart from the environments and from ``agents`` (eqenvs never imports agents):

* ``eqenvs.experts.scripted``: ``ScriptedPusher`` (EqPushT-v1) and ``ScriptedPusher3D`` (EqPushT3D-v1), hand-written
  pushing rules on the full state observation (block pose, goal, pusher).
* ``eqenvs.experts.contact``: ``ContactPlanner``, an ORACLE for EqPushT-v1's ``task="pusht"``: model-predictive
  control with gym-pusht's own pymunk simulator (``eqenvs.pusht_sim``) as its model, so its success is what
  perfect knowledge of the dynamics buys; label it an oracle wherever its numbers appear.
"""
