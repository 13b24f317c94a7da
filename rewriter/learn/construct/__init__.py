"""Learned constructive schedulers for the job shop: a masked actor-critic over the per-job
features of ``JobShopDispatch-v0`` (:mod:`.policy`), trained by PPO (:mod:`.ppo`,
:mod:`.train`), per instance or across random instances, and decoded greedily or by sampling
(:mod:`.decode`). See ``docs/construct.md``.

This package sits above the job-shop problem, which never imports it: :mod:`.register` adds its
policy, start rule and comparison methods to the problems' specs.
"""
