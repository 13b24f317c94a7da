"""``rewriter/CompatDispatch-v0``: the compatibility shop's dispatching MDP (docs/fjsp_dqn.md) on a
single-operation flexible instance (a compatibility matrix with due dates).

The MDP itself (decision points, time jumps, rewards, the horizon) is
:class:`rewriter.envs.compat_mdp.CompatMDP`; this class gives it gymnasium's interface:

* **observation** ``spaces.Dict``: ``state``, the MDP's normalised 4n + 2m vector
  (:meth:`CompatMDP.state_vector`), and ``time``, tau / T with the same T;
* **action** ``Discrete(n * m + 1)``: ``i * m + k`` assigns job i to machine k, ``n * m`` waits;
  the mask is ``info["action_mask"]`` and :meth:`action_masks`;
* **reward**: the MDP's, unscaled, with the terminal reward added to the last step; with
  ``reward="makespan"`` or ``"makespan+tardiness"`` the makespan rewards of
  :class:`~rewriter.envs.compat_mdp.LearnerReward` instead (minus each step's increase of the
  latest completion, and of the job's weighted tardiness: the return is minus the makespan, plus
  the total weighted tardiness);
* **end**: ``terminated`` when every job is complete (``info["termination"] == "done"``) or the
  horizon is reached (``"horizon"``); the last info carries the makespan, total tardiness and late
  jobs (of the schedule, which has passed the package's validator, when it is complete) and the
  start and machine of every job.

An action the mask forbids ends the episode (``"illegal_action"``, nothing applied) with the
reward of reaching the horizon now (the spec reward's: the sum over the jobs not complete of
deadline - horizon).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..errors import InputError
from .compat_mdp import REWARDS, CompatMDP, LearnerReward, check_single_operation
from .checks import check_running, discrete_action, reset_options
from .instances import episode_instance
from .padding import pad, padded_size


def _source(instance, num_jobs, num_machines):
    """A fixed :class:`FlexibleInstance` (by object, name or path), or None with a size for a new
    random compatibility instance per episode."""
    from ..fjsp.instance import FlexibleInstance

    if instance is None:
        if num_jobs is None or num_machines is None:
            raise InputError("give an instance (a name such as compat_50x10_s0, a path or a "
                             "FlexibleInstance) or num_jobs and num_machines for random ones")
        return None
    if isinstance(instance, str):
        from ..fjsp.bundled import load_instance

        instance = load_instance(instance)
    if not isinstance(instance, FlexibleInstance):
        raise InputError(f"expected a flexible-shop instance, got {type(instance).__name__}")
    check_single_operation(instance)
    return instance


class CompatDispatchEnv(gym.Env):
    """Assign a job to an idle compatible machine, or wait (see the module docstring).

    ``max_jobs`` / ``max_machines`` pad the spaces to that size (:mod:`.padding`): ``state``
    holds ``max_jobs`` job rows and ``max_machines`` machine rows (zeros in padding), the action
    ``i * max_machines + k`` assigns job i to machine k, ``max_jobs * max_machines`` waits, and
    every pair with a padded job or machine is masked out."""

    metadata = {"render_modes": []}

    def __init__(self, instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                 horizon: int | None = None, max_jobs: int | None = None,
                 max_machines: int | None = None, reward: str = "spec"):
        if reward not in REWARDS:
            raise InputError(f"reward must be one of {', '.join(REWARDS)}, got {reward!r}")
        self.reward_kind = reward
        self.fixed = _source(instance, num_jobs, num_machines)
        n = self.fixed.n_jobs if self.fixed is not None else int(num_jobs)
        m = self.fixed.n_machines if self.fixed is not None else int(num_machines)
        if n < 1 or m < 1:
            raise InputError(f"expected at least one job and one machine, got {n}x{m}")
        self.num_jobs, self.num_machines, self.horizon = n, m, horizon
        self.max_jobs, self.max_machines = padded_size("rewriter/CompatDispatch-v0", n, m,
                                                       max_jobs, max_machines)
        n, m = self.max_jobs, self.max_machines  # the spaces' size (the instance's, unpadded)
        self.observation_space = spaces.Dict({
            "state": spaces.Box(-1.0, 1.0, (4 * n + 2 * m,), np.float32),
            "time": spaces.Box(0.0, 1.0, (1,), np.float32),
        })
        self.action_space = spaces.Discrete(n * m + 1)
        self.mdp: CompatMDP | None = None
        self.reward: LearnerReward | None = None
        self._done = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Time 0 on the fixed instance, or on a new random compatibility instance drawn from the
        environment's generator (``reset(seed=s)`` repeats it)."""
        reset_options(self, options)
        super().reset(seed=seed)
        from ..fjsp.generate import compatibility_instance

        instance = episode_instance(self, compatibility_instance)
        self.mdp = CompatMDP(instance, self.horizon)
        self.reward = LearnerReward(self.reward_kind, self.mdp, 1.0)
        self._done = self.mdp.over
        return self._observation(), self._info()

    def step(self, action):
        """Apply one assignment or the wait; time moves to the next decision point. An action
        outside the action space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.mdp is not None, self._done)
        mdp, n, m = self.mdp, self.num_jobs, self.num_machines
        action = discrete_action(self, action, self.max_jobs * self.max_machines + 1)
        if not self.action_masks()[action]:
            return self._illegal(f"action {action} is not allowed now")
        if action == self.max_jobs * self.max_machines:
            reward = self.reward.waited(mdp.wait())
        else:
            job = action // self.max_machines
            reward = self.reward.assigned(job, mdp.assign(job, action % self.max_machines))
        info = self._info()
        if mdp.over:
            reward += self.reward.terminal()
            self._done = True
            info.update(self._final("done" if mdp.all_complete() else "horizon"))
        return self._observation(), reward, mdp.over, False, info

    def action_masks(self) -> np.ndarray:
        """(n * m + 1,) bool: the allowed assignments (row-major, job by job), then the wait
        (n, m: ``max_jobs``, ``max_machines`` with padding; padded pairs False)."""
        mdp = self.mdp
        pairs = pad(mdp.pair_mask(), (self.max_jobs, self.max_machines), False)
        return np.append(pairs.reshape(-1), mdp.can_wait())

    # ---- what the agent sees -------------------------------------------------------------------
    def _observation(self) -> dict:
        mdp = self.mdp
        return {"state": self._padded_state(mdp.state_vector()),
                "time": np.array([min(mdp.time / mdp.time_scale(), 1.0)], np.float32)}

    def _padded_state(self, state: np.ndarray) -> np.ndarray:
        """The MDP's 4n + 2m vector with zero rows for the padded jobs and machines."""
        n, m = self.num_jobs, self.num_machines
        if (self.max_jobs, self.max_machines) == (n, m):
            return state
        jobs = pad(state[:4 * n].reshape(n, 4), (self.max_jobs, 4))
        machines = pad(state[4 * n:].reshape(m, 2), (self.max_machines, 2))
        return np.concatenate([jobs.reshape(-1), machines.reshape(-1)])

    def _info(self) -> dict:
        mdp = self.mdp
        return {"time": mdp.time, "action_mask": self.action_masks(),
                "instance": mdp.instance.name}

    def _final(self, termination: str) -> dict:
        """The figures of the finished episode."""
        mdp = self.mdp
        out = {"termination": termination, termination: True, "begin": mdp.begin.copy(),
               "machine": mdp.job_machine.copy(), "waits": mdp.waits,
               "unfinished_jobs": int((mdp.status != -1).sum())}
        if termination == "done":
            from ..fjsp.validate import check_schedule

            values = check_schedule(mdp.instance, mdp.job_machine, mdp.begin)
            out.update(makespan=values["makespan"], total_tardiness=values["total_tardiness"],
                       late_jobs=values["late_jobs"])
        else:  # the jobs that ended, with those not complete counted late if past their deadline
            ends = mdp.completion()
            done = mdp.status == -1
            late = np.where(done, ends - mdp.deadline, mdp.time - mdp.deadline).clip(min=0)
            out.update(makespan=int(ends[done].max()) if done.any() else 0,
                       total_tardiness=int(late.sum()), late_jobs=int((late > 0).sum()))
        return out

    def _illegal(self, detail: str):
        mdp = self.mdp
        self._done = True
        reward = self.reward.cut_at(mdp.horizon)
        info = self._info()
        info.update(termination="illegal_action", illegal_action=True, detail=detail,
                    begin=mdp.begin.copy(), machine=mdp.job_machine.copy())
        return self._observation(), reward, True, False, info
