"""The DQN dispatcher for single-operation flexible
instances with a compatibility matrix and due dates (``docs/fjsp_dqn.md``).

Read in this order: :mod:`rewriter.envs.compat_mdp` (the MDP), :mod:`.features` (what the network
sees), :mod:`.network` (the size-agnostic Q-network), :mod:`.replay` (the replay buffer),
:mod:`.learn` (epsilon-greedy choice and the TD step), :mod:`.config` (every hyperparameter),
:mod:`.train` (the training loop and its run directory), :mod:`.model` (saving and loading),
:mod:`.dispatch` (a greedy episode -> a schedule). ``rewriter train --approach dqn`` trains.
"""
