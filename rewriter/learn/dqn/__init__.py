"""The DQN dispatcher of the MPS scheduler specification, for single-operation flexible
instances with a compatibility matrix and due dates (``docs/fjsp_dqn.md``).

Read in this order: :mod:`.mdp` (the specification's MDP), :mod:`.features` (what the network
sees), :mod:`.network` (the size-agnostic Q-network), :mod:`.replay` (the replay buffer),
:mod:`.learn` (epsilon-greedy choice and the TD step), :mod:`.config` (every hyperparameter),
:mod:`.train` (the training loop and its run directory), :mod:`.model` (saving and loading),
:mod:`.dispatch` (a greedy episode -> a schedule). ``rewriter train --approach dqn`` trains.
"""
