"""A learned world model for gym-pusht's PushT, planned with push primitives — no simulator at decision time.

=============  ===========================================================================================
module         what it holds
=============  ===========================================================================================
``data``       pushes simulated at the slice's orientations (gym-pusht's own physics), and their frames
``model``      the push-outcome models: VN (exactly equivariant), MLP, and the MLP in the block's frame
``train``      training, the model files, ``python -m agents pusht-model``
``planner``    ``PrimitivePlanner``: the contact planner's primitive search scored by a learned model
=============  ===========================================================================================

eqbench runs it as ``primitive:<model>`` (``agents.specs``); results in docs/planning.md, "A learned world model
solves PushT".
"""
