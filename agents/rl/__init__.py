"""Model-free RL on the suite with stable-baselines3: the exactly equivariant Vector-Neuron policies for PPO and SAC
(``policies``), training on a split of orientations with rl-baselines3-zoo's hyperparameter files (``train``,
``agents/hyperparams/<algo>.yml``), and learning curves (``curves``)."""
