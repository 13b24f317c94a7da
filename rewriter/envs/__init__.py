"""Gymnasium environments over the package's problems (see ``docs/environments.md``).

Importing this module registers seven ids in gymnasium's registry:

- ``rewriter/JobShop-v0``: every machine picks a job (or waits) at every unit of time;
- ``rewriter/JobShopDispatch-v0``: one job per decision, time jumps to the next event;
- ``rewriter/JobShopGraph-v0``: one job per decision, its next operation placed at its earliest
  fit; the observation is the partial disjunctive graph (graph constructive policies);
- ``rewriter/Rewrite-v0``: improve a complete solution of any problem with a rewrite interface;
- ``rewriter/CompatDispatch-v0``: assign single-operation jobs to compatible machines, or wait
  (the compatibility shop's MDP, the DQN dispatcher's environment);
- ``rewriter/MrtDispatch-v0``: start one visible waiting MRT job per decision, or advance time
  (DeepRM's MDP);
- ``rewriter/FlexibleShop-v0``: build a flexible-shop schedule, a job then one of its next
  operation's machines per operation (the hierarchical policy's environment).

All seven refuse bad input alike (:mod:`rewriter.envs.checks`): an action outside the action space
raises ValueError, a masked one ends the episode as ``"illegal_action"``, a step after the end
raises :class:`~rewriter.envs.checks.ResetNeeded`. Every one puts its mask in
``info["action_mask"]``; the five whose spaces depend on the instance's size take
``max_jobs`` / ``max_machines`` to pad them to one size (:mod:`rewriter.envs.padding`).

``gymnasium.make("rewriter.envs:rewriter/JobShop-v0")`` imports this module itself. (Gymnasium
1.x has no entry-point plugin loading any more, so ``import rewriter.envs`` or that prefix is how
the ids get registered.)
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from .compat import CompatDispatchEnv
from .dispatch import JobShopDispatchEnv
from .flexible import FlexibleShopEnv
from .graph import JobShopGraphEnv
from .jobshop import JobShopEnv
from .mrt_dispatch import MrtDispatchEnv
from .rewrite import RewriteEnv

__all__ = ["JobShopEnv", "JobShopDispatchEnv", "JobShopGraphEnv", "RewriteEnv", "CompatDispatchEnv", "MrtDispatchEnv",
           "FlexibleShopEnv", "ENV_IDS"]

#: the registered ids and the class each makes
ENV_IDS = {
    "rewriter/JobShop-v0": "rewriter.envs.jobshop:JobShopEnv",
    "rewriter/JobShopDispatch-v0": "rewriter.envs.dispatch:JobShopDispatchEnv",
    "rewriter/JobShopGraph-v0": "rewriter.envs.graph:JobShopGraphEnv",
    "rewriter/Rewrite-v0": "rewriter.envs.rewrite:RewriteEnv",
    "rewriter/CompatDispatch-v0": "rewriter.envs.compat:CompatDispatchEnv",
    "rewriter/MrtDispatch-v0": "rewriter.envs.mrt_dispatch:MrtDispatchEnv",
    "rewriter/FlexibleShop-v0": "rewriter.envs.flexible:FlexibleShopEnv",
}

for _env_id, _entry_point in ENV_IDS.items():
    if _env_id not in registry:  # re-importing (importlib.reload) must not warn about overriding
        register(id=_env_id, entry_point=_entry_point)
