"""``rewriter/FlexibleShop-v0``: build a flexible-shop schedule with a hierarchical action, first a
job, then one of the eligible machines of its next operation (docs/environments.md,
docs/fjsp_hierarchical.md).

The MDP (time semantics, which jobs may be picked, the features) is
:class:`rewriter.envs.flexible_mdp.FlexibleMDP`; this class gives it gymnasium's interface:

* **two phases per operation**, each one ``step``: in the job phase the action is a job index, in
  the machine phase a machine index. Both use one ``Discrete(max(N, M))`` space (N jobs, M
  machines, padded: ``max_jobs``, ``max_machines``); the mask of the current phase
  (:meth:`action_masks`, ``info["action_mask"]``) allows the pickable jobs in the job phase and the
  chosen operation's eligible machines in the machine phase, nothing else. One space rather than a
  ``Dict`` of two lets MaskablePPO (sb3-contrib) play it as it is.
* **observation** ``spaces.Dict``: ``phase`` (0 job, 1 machine), ``jobs`` (N, 12) and ``machines``
  (M, 8) feature arrays (:data:`~.flexible_mdp.JOB_FEATURES`,
  :data:`~.flexible_mdp.MACHINE_FEATURES`), zero rows in padding.
* **reward**: minus the makespan increment of the placed operation in the machine phase, 0 in the
  job phase, so an episode's return is minus its makespan.
* **end**: ``terminated`` when every operation is placed; the last info carries ``makespan``,
  ``weighted_tardiness``, ``total_tardiness`` and ``late_jobs`` as the package's validator
  (:func:`rewriter.fjsp.validate.check_schedule`) computes them on the episode's schedule, and
  ``machine`` and ``start`` per operation.

An action the mask forbids ends the episode (``"illegal_action"``, nothing applied) with minus the
rest of the worst makespan: ``horizon - makespan so far``, the horizon being the last release
plus every operation's longest duration (no schedule of the MDP ends later).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..errors import InputError
from .checks import check_running, discrete_action, reset_options
from .flexible_mdp import (FEATURE_LIMIT, JOB_FEATURES, JOB_PHASE, JOB_PICKS, MACHINE_FEATURES,
                           FlexibleMDP)
from .instances import episode_instance
from .padding import pad, padded_size

ENV_ID = "rewriter/FlexibleShop-v0"


def _source(instance, num_jobs, num_machines):
    """A fixed flexible-shop instance (object, bundled or generated name, or path), or None with
    a size for a new random production-like instance per episode."""
    from ..fjsp.instance import FlexibleInstance

    if instance is None:
        if num_jobs is None or num_machines is None:
            raise InputError(f"{ENV_ID}: give an instance (a name such as prod_100x50_s0, a path "
                             "or a FlexibleInstance) or num_jobs and num_machines for random ones")
        return None
    if isinstance(instance, str):
        from ..fjsp.bundled import load_instance

        instance = load_instance(instance)
    if not isinstance(instance, FlexibleInstance):
        raise InputError(f"{ENV_ID}: expected a flexible-shop instance, got "
                         f"{type(instance).__name__}")
    return instance


class FlexibleShopEnv(gym.Env):
    """Pick a job, then a machine for its next operation (see the module docstring).

    ``instance``: a fixed instance, or None with ``num_jobs`` and ``num_machines`` for a new
    random ``prod``-family instance per episode (:func:`rewriter.fjsp.generate.production_instance`,
    seeded from the environment's generator). ``jobs``: ``"active"`` (the rules' conflict set) or
    ``"all"`` (every unfinished job) may be picked (:mod:`.flexible_mdp`)."""

    metadata = {"render_modes": []}

    def __init__(self, instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                 max_jobs: int | None = None, max_machines: int | None = None,
                 jobs: str = "active"):
        if jobs not in JOB_PICKS:
            raise InputError(f"{ENV_ID}: jobs is one of {', '.join(JOB_PICKS)}, got {jobs!r}")
        self.fixed = _source(instance, num_jobs, num_machines)
        n = self.fixed.n_jobs if self.fixed is not None else int(num_jobs)
        m = self.fixed.n_machines if self.fixed is not None else int(num_machines)
        if n < 1 or m < 1:
            raise InputError(f"{ENV_ID}: expected at least one job and one machine, got {n}x{m}")
        self.num_jobs, self.num_machines, self.jobs = n, m, jobs
        self.max_jobs, self.max_machines = padded_size(ENV_ID, n, m, max_jobs, max_machines)
        self.n_actions = max(self.max_jobs, self.max_machines)
        limit = FEATURE_LIMIT
        self.observation_space = spaces.Dict({
            "phase": spaces.Discrete(2),
            "jobs": spaces.Box(-limit, limit, (self.max_jobs, len(JOB_FEATURES)), np.float32),
            "machines": spaces.Box(-limit, limit, (self.max_machines, len(MACHINE_FEATURES)),
                                   np.float32),
        })
        self.action_space = spaces.Discrete(self.n_actions)
        self.mdp: FlexibleMDP | None = None
        self._done = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """The empty schedule of the fixed instance, or of a new random one drawn from the
        environment's generator (``reset(seed=s)`` repeats it)."""
        reset_options(self, options)
        super().reset(seed=seed)
        from ..fjsp.generate import production_instance

        instance = episode_instance(self, production_instance)
        self.mdp = FlexibleMDP(instance, self.jobs)
        self._done = False
        return self._observation(), self._info()

    def step(self, action):
        """Pick a job (job phase) or a machine (machine phase). An action outside the action
        space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.mdp is not None, self._done)
        action = discrete_action(self, action, self.n_actions)
        if not self.action_masks()[action]:
            return self._illegal(action)
        mdp = self.mdp
        if mdp.phase == JOB_PHASE:
            mdp.choose_job(action)
            reward = 0.0
        else:
            reward = -float(mdp.choose_machine(action))
        info = self._info()
        if mdp.over:
            self._done = True
            info.update(self._final())
        return self._observation(), reward, mdp.over, False, info

    def action_masks(self) -> np.ndarray:
        """(max(N, M),) bool: the pickable jobs in the job phase, the chosen operation's eligible
        machines in the machine phase (padding and the other phase's entries False)."""
        mdp = self.mdp
        allowed = mdp.pickable.copy() if mdp.phase == JOB_PHASE else mdp.machine_mask()
        return pad(allowed, (self.n_actions,), False)

    # ---- what the agent sees -------------------------------------------------------------------
    def _observation(self) -> dict:
        mdp = self.mdp
        return {"phase": int(mdp.phase),
                "jobs": pad(mdp.job_features(), (self.max_jobs, len(JOB_FEATURES))),
                "machines": pad(mdp.machine_features(),
                                (self.max_machines, len(MACHINE_FEATURES)))}

    def _info(self) -> dict:
        mdp = self.mdp
        return {"phase": int(mdp.phase), "now": mdp.now, "makespan_so_far": mdp.makespan,
                "action_mask": self.action_masks(), "instance": mdp.instance.name}

    def _final(self) -> dict:
        """The validated figures of the finished schedule."""
        from ..fjsp.validate import check_schedule

        mdp = self.mdp
        values = check_schedule(mdp.instance, mdp.assign, mdp.start)
        return {"termination": "done", "done": True, "machine": mdp.assign.copy(),
                "start": mdp.start.copy(),
                **{k: values[k] for k in ("makespan", "weighted_tardiness", "total_tardiness",
                                          "late_jobs")}}

    def _illegal(self, action: int):
        mdp = self.mdp
        self._done = True
        what = "job" if mdp.phase == JOB_PHASE else "machine"
        info = self._info()
        info.update(termination="illegal_action", illegal_action=True,
                    detail=f"{what} {action} may not be chosen now",
                    machine=mdp.assign.copy(), start=mdp.start.copy())
        return self._observation(), -float(mdp.horizon - mdp.makespan), True, False, info
