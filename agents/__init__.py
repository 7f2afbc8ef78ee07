"""Reference agents for eqenvs: Vector-Neuron and MLP world models, their data, training and evaluation.

``python -m agents`` runs the pipeline (collect, train, evaluate, report) and the demo; see the README.
The equivariant planner and the any-agent benchmark build on these.
"""
