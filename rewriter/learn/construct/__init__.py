"""Learned constructive schedulers for the job shop: a masked actor-critic over the per-job
features of ``JobShopDispatch-v0`` (:mod:`.policy`), trained by PPO (:mod:`.ppo`,
:mod:`.train`), per instance or across random instances, and decoded greedily or by sampling
(:mod:`.decode`). See ``docs/construct.md``.

This package sits beside the baselines, above the job-shop problem: the job shop's spec reaches
it only inside the functions it hands to ``compare`` and ``solve``, as it reaches CP-SAT.
"""
