"""``rewriter/JobShop-v0``: every machine decides at every unit of time (the multi-machine
dispatching environment of ``docs/environments.md``).

An action names one job (or the no-op, index N) per machine. It is legal when every machine's
choice is allowed by the ``action_mask`` row of that machine (which also keeps one job from
going to two machines: a job appears only in the row of its next operation's machine). The
chosen operations start now, then time advances by one unit. The episode terminates when every
operation has ended, on an illegal action (nothing is applied) or when every machine is idle and
every machine chose the no-op (nothing could ever change again: a deadlock).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..errors import InputError
from .checks import check_running, multi_discrete_action, reset_options
from .instances import jobshop_source
from .padding import pad, padded_size
from .shop import ShopSimulation

REWARDS = ("dense", "sparse")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"rewriter/JobShop-v0: {name} is a positive integer or None, got "
                         f"{value!r}")
    return int(value)


class JobShopEnv(gym.Env):
    """N jobs of ``max_num_ops`` operations on M machines, one decision per machine per time unit.

    Rewards: ``"dense"`` (default) gives -1 per time unit, so an episode's return is minus its
    length, which is the makespan when every operation has a positive duration; ``"sparse"``
    gives minus the makespan at the end and 0 before. An episode that fails (illegal action or
    deadlock) is scored as if its makespan were the current time plus all the remaining work
    (:meth:`ShopSimulation.failure_makespan`): dense adds minus the remaining work on the failing
    step, sparse gives minus that makespan.

    ``max_jobs`` / ``max_machines`` pad the spaces to that size (:mod:`.padding`): the
    operation arrays have ``max_jobs`` rows and ``max_machines`` columns (-1 / False in padding,
    as for any missing operation), a padded machine is idle (job -1, remaining 0), the action is
    ``MultiDiscrete([max_jobs + 1] * max_machines)`` with the no-op at index ``max_jobs``, and a
    padded machine may only no-op. The duration bounds are the instance's longest operation
    (the range of random instances), or ``max_duration`` when given, so that instances of
    different durations share one observation space; an instance with a longer operation is a
    ValueError at ``reset``.
    """

    metadata = {"render_modes": []}

    def __init__(self, instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                 reward: str = "dense", low: int = 1, high: int = 99,
                 max_jobs: int | None = None, max_machines: int | None = None,
                 max_duration: int | None = None):
        if reward not in REWARDS:
            raise InputError(f"unknown reward {reward!r}; expected one of {', '.join(REWARDS)}")
        self.source = jobshop_source(instance, num_jobs, num_machines, low, high)
        self.reward_kind = reward
        self.num_jobs, self.num_machines = self.source.num_jobs, self.source.num_machines
        self.max_jobs, self.max_machines = padded_size(
            "rewriter/JobShop-v0", self.num_jobs, self.num_machines, max_jobs, max_machines)
        n, m = self.max_jobs, self.max_machines  # the spaces' size (the instance's, unpadded)
        self.max_num_ops = m  # a JobShopInstance has one operation per machine in every job
        #: the bound of the duration entries (checked against each episode's instance at reset)
        self.max_duration = (self.source.max_duration if max_duration is None
                             else _positive_int("max_duration", max_duration))
        longest = self.max_duration
        ops = (n, self.max_num_ops)
        self.observation_space = spaces.Dict({
            "operations_machine_ids": spaces.Box(-1, m - 1, ops, np.int64),
            "operations_durations": spaces.Box(-1, longest, ops, np.int64),
            "operations_mask": spaces.Box(0, 1, ops, np.bool_),
            "machines_job_ids": spaces.Box(-1, n - 1, (m,), np.int64),
            "machines_remaining_times": spaces.Box(0, longest, (m,), np.int64),
            "action_mask": spaces.Box(0, 1, (m, n + 1), np.bool_),
        })
        self.action_space = spaces.MultiDiscrete(np.full(m, n + 1, np.int64))
        self.sim: ShopSimulation | None = None
        self._done = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode at time 0 (a new random instance when the env was made without one)."""
        reset_options(self, options)
        super().reset(seed=seed)
        instance = self.source.draw(self.np_random)
        longest = int(instance.durations.max(initial=0))
        if longest > self.max_duration:  # only when max_duration was given below it
            raise ValueError(f"rewriter/JobShop-v0: the longest operation of {instance.name} takes "
                             f"{longest}, more than max_duration={self.max_duration}; make the "
                             f"environment with max_duration >= {longest}")
        self.sim = ShopSimulation(instance)
        self._done = False
        self._legal = self._compute_legal_mask()
        return self._observation(), {"time": 0, "instance": self.sim.instance.name,
                                     "action_mask": self.legal_mask()}

    def step(self, action):
        """Start the chosen operations, then advance time by one unit (see the module docstring).
        An action outside the action space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.sim is not None, self._done)
        sim = self.sim
        action = self._native_action(multi_discrete_action(self, action, self.action_space.nvec))
        if isinstance(action, str):
            return self._fail("illegal_action", action)
        problem = self._illegality(action)
        if problem is not None:
            return self._fail("illegal_action", problem)
        jobs = action[action < self.num_jobs]
        if not jobs.size and not sim.busy_machines().any():
            return self._fail("deadlock", "every machine is idle and every machine chose the no-op")
        for job in jobs.tolist():
            sim.start(job)
        sim.time += 1
        self._legal = self._compute_legal_mask()
        terminated = sim.finished()
        if self.reward_kind == "dense":
            reward = -1.0
        else:
            reward = -float(sim.makespan()) if terminated else 0.0
        info = {"time": sim.time, "instance": sim.instance.name, "action_mask": self.legal_mask()}
        if terminated:
            self._done = True
            info.update(self._final_info("done"))
        return self._observation(), reward, terminated, False, info

    def _native_action(self, action: np.ndarray) -> np.ndarray | str:
        """A padded action in the instance's own terms (the no-op ``max_jobs`` becomes N), or
        why it is illegal: a padded machine that does not no-op, or a padded job. The action
        itself without padding."""
        n, m = self.num_jobs, self.num_machines
        if (self.max_jobs, self.max_machines) == (n, m):
            return action
        busy_padding = np.flatnonzero(action[m:] != self.max_jobs)
        if busy_padding.size:
            return f"machine {m + int(busy_padding[0])} is padding and may only no-op"
        action = action[:m]
        padded_job = np.flatnonzero((action >= n) & (action < self.max_jobs))
        if padded_job.size:
            machine = int(padded_job[0])
            return f"machine {machine} may not take job {int(action[machine])}: it is padding"
        return np.where(action == self.max_jobs, n, action)

    # ---- the rules -----------------------------------------------------------------------------
    def legal_mask(self) -> np.ndarray:
        """(M, N + 1) bool: which jobs each machine may take now (see
        :meth:`_compute_legal_mask`); with padding (``max_machines``, ``max_jobs`` + 1), a padded
        machine may only no-op and no machine may take a padded job."""
        n = self.num_jobs
        if (self.max_jobs, self.max_machines) == (n, self.num_machines):
            return self._legal.copy()
        mask = pad(self._legal[:, :n], (self.max_machines, self.max_jobs + 1), False)
        mask[:, self.max_jobs] = True
        return mask

    def _compute_legal_mask(self) -> np.ndarray:
        """The mask of the current state, computed once per state change (the legality check, the
        observation and :meth:`action_masks` all read it): the last column (no-op) is
        always allowed. A job is allowed on the machine of its next operation when the job is not
        running and that machine is idle. A job is allowed in one row at most (only the machine of
        its next operation may take it), so an action the mask allows never gives one job to two
        machines."""
        sim = self.sim
        n = self.num_jobs
        mask = np.zeros((self.num_machines, n + 1), np.bool_)
        startable = sim.startable_jobs()
        jobs = np.flatnonzero(startable)
        mask[sim.next_machine()[jobs], jobs] = True
        mask[:, n] = True
        return mask

    def action_masks(self) -> np.ndarray:
        """The action mask flattened machine by machine, (M * (N + 1),): the layout in which
        sb3-contrib's MaskablePPO masks a MultiDiscrete action."""
        return self.legal_mask().reshape(-1)

    def _illegality(self, action: np.ndarray) -> str | None:
        """Why ``action`` (in the action space) is illegal now, or None when it is legal."""
        mask = self._legal
        bad = np.flatnonzero(~mask[np.arange(self.num_machines), action])
        if bad.size:
            machine = int(bad[0])
            return f"machine {machine} may not take job {int(action[machine])} now"
        return None

    # ---- endings and observations ----------------------------------------------------------------
    def _fail(self, reason: str, detail: str):
        """End the episode without applying the action, scored by the failure makespan."""
        sim = self.sim
        self._done = True
        failure = sim.failure_makespan()
        reward = -float(failure - sim.time) if self.reward_kind == "dense" else -float(failure)
        info = {"time": sim.time, "instance": sim.instance.name, "detail": detail,
                "failure_makespan": failure}
        info.update(self._final_info(reason))
        return self._observation(), reward, True, False, info

    def _final_info(self, reason: str) -> dict:
        """What the last step's info adds: why the episode ended, the start time of every
        operation (-1: never started) and, when the schedule is complete, its makespan."""
        info = {"termination": reason, "schedule": self.sim.starts.copy(),
                reason: True}
        if reason == "done":
            info["makespan"] = self.sim.makespan()
        return info

    def _observation(self) -> dict:
        sim = self.sim
        op_index = np.arange(sim.num_ops)
        ops, machines = (self.max_jobs, self.max_num_ops), (self.max_machines,)
        return {
            "operations_machine_ids": pad(sim.machines.copy(), ops, -1),
            "operations_durations": pad(sim.durations.copy(), ops, -1),
            "operations_mask": pad(op_index[None, :] >= sim.next_op[:, None], ops, False),
            "machines_job_ids": pad(sim.running_jobs(), machines, -1),
            "machines_remaining_times": pad(sim.remaining_times(), machines, 0),
            "action_mask": self.legal_mask(),
        }
