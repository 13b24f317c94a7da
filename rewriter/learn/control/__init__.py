"""Learned control of the fast job-shop tabu search (NeuroLS-style; docs/control.md).

The numba tabu search makes the cheap moves in slices of many moves; between slices a
*controller* takes one decision from a small action set (continue, perturb, restart from the
best or from an elite solution, change the tabu tenure). Modules, one concept each:

- :mod:`.search`: the controlled tabu search (a core-loop ``Stepper``) and its actions;
- :mod:`.observe`: the fixed-size, size-independent observation of the search state;
- :mod:`.controllers`: the hand-made rule, random choices and the learned policy;
- :mod:`.policy`: the small actor-critic MLP and its model file;
- :mod:`.config`, :mod:`.train`: every hyperparameter, and PPO training on random instances.

Like :mod:`rewriter.learn.construct` it is built on the job shop, which never imports it:
:mod:`.register` adds ``--policy controlled`` (the job shop's default) to the job shop's spec.
"""
