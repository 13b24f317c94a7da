"""``rewriter/JobShopDispatch-v0``: one job per decision, time jumps to the next event (the
single-agent form of the job-shop environment of Tassel, Gebser and Schekotihin 2021).

At each decision the agent names one job whose next operation can start now, or the no-op
(index N). A job starts at the current time; the agent decides again at the same time while
something else can start. Time jumps to the next end of an operation when nothing can start, or
when the agent chose the no-op, and keeps jumping until something can start or everything has
ended. The no-op is legal only while an operation runs (otherwise waiting would change nothing),
so a legal agent never deadlocks. An illegal action ends the episode, nothing applied.

Per-job features (the ``jobs`` observation, one row per job, ``FEATURES`` names the columns):

==========================  ======================================================================
legal                       1 when the job's next operation can start now
remaining_work              processing time of the job not yet done / the largest job total
current_op_left             time until the job's running operation ends / the longest operation
                            (0 when it is not running)
ops_done                    operations started / operations of the job
idle_since_last_op          time since the job's last operation ended / the longest operation
                            (0 while it runs or once it is finished)
total_idle                  time the job has spent waiting so far / the largest job total (its
                            idle time up to now, not counting time after it finished)
machine_wait                time until the machine of the next operation is free / the longest
                            operation (0 when free or the job is finished)
next_op_duration            duration of the next operation / the longest operation (0 when
                            finished)
==========================  ======================================================================

Reward (dense shaping, after Tassel et al.): each decision earns the duration of the operation it
starts minus the machine idle time of the jump that follows it (the sum over machines of the
time each stood idle), both divided by the longest operation duration. Over a whole episode the
started durations sum to the total work W and the idle time to M * makespan - W, so the return is
``(2 W - M * makespan) / longest``: it falls strictly as the makespan grows, and maximising it is
minimising the makespan. An illegal action ends the episode with the return of the failure
makespan (:meth:`ShopSimulation.failure_makespan`).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .checks import check_running, discrete_action, reset_options
from .instances import jobshop_source
from .padding import pad, padded_size
from .shop import ShopSimulation

FEATURES = ("legal", "remaining_work", "current_op_left", "ops_done", "idle_since_last_op",
            "total_idle", "machine_wait", "next_op_duration")


def feature_bounds(source, padded: tuple[int, int] | None = None) -> np.ndarray:
    """(F,) the largest value each feature column can take. Time only ever jumps to the end of a
    running operation, so it never passes the total work, which bounds the two idle columns
    (their divisors are at least 1); every other column is a fraction. With padding (``padded``,
    the maximum jobs and machines) the bound must not depend on the instance: the total work is
    at most N x M longest operations and at most N largest job totals, so N x M bounds both
    columns (since_last / longest and idle / largest job)."""
    if padded is not None:
        most_work = padded[0] * padded[1]
    else:
        most_work = source.num_jobs * source.num_machines * source.max_duration
    bounds = np.ones(len(FEATURES), np.float32)
    bounds[[FEATURES.index("idle_since_last_op"), FEATURES.index("total_idle")]] = most_work
    return bounds


class JobShopDispatchEnv(gym.Env):
    """One job (or no-op) per decision, Discrete(N + 1), with the per-job feature matrix above.

    The action mask is in the observation (``action_mask``), in ``info["action_mask"]`` and
    returned by :meth:`action_masks` (what sb3-contrib's MaskablePPO calls).

    ``max_jobs`` / ``max_machines`` pad the spaces to that size (:mod:`.padding`): ``jobs`` has
    ``max_jobs`` rows (zeros below the instance's N), the action space is
    ``Discrete(max_jobs + 1)`` with the no-op at index ``max_jobs`` and the padded jobs masked
    out, so one policy plays every size up to the maximum. ``max_machines`` only bounds the
    instance's machines (the features are per job) and fixes the idle columns' bounds.
    """

    metadata = {"render_modes": []}

    def __init__(self, instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                 low: int = 1, high: int = 99, max_jobs: int | None = None,
                 max_machines: int | None = None):
        self.source = jobshop_source(instance, num_jobs, num_machines, low, high)
        n = self.source.num_jobs
        self.num_jobs, self.num_machines = n, self.source.num_machines
        self.max_jobs, self.max_machines = padded_size(
            "rewriter/JobShopDispatch-v0", n, self.num_machines, max_jobs, max_machines)
        padded = None if max_jobs is None and max_machines is None else \
            (self.max_jobs, self.max_machines)
        rows = self.max_jobs
        self.observation_space = spaces.Dict({
            "jobs": spaces.Box(0.0, np.tile(feature_bounds(self.source, padded), (rows, 1)),
                               (rows, len(FEATURES)), np.float32),
            "action_mask": spaces.Box(0, 1, (rows + 1,), np.bool_),
        })
        self.action_space = spaces.Discrete(rows + 1)
        self.sim: ShopSimulation | None = None
        self._done = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode at time 0 (a new random instance when the env was made without one)."""
        reset_options(self, options)
        super().reset(seed=seed)
        sim = self.sim = ShopSimulation(self.source.draw(self.np_random))
        self._done = False
        self._longest = max(int(sim.durations.max()), 1)
        self._job_work = sim.durations.sum(axis=1)
        self._largest_job = max(int(self._job_work.max()), 1)
        self._total_work = int(sim.durations.sum())
        # [j, k]: work of job j's operations k.. (a zero column for "all started")
        suffix = sim.durations[:, ::-1].cumsum(axis=1)[:, ::-1]
        self._unstarted_suffix = np.concatenate([suffix, np.zeros((self.num_jobs, 1), np.int64)], 1)
        self._job_idle = np.zeros(self.num_jobs, np.int64)  # waiting time accrued in past jumps
        self._return = 0.0
        self._advance_while_nothing_can_start()  # only moves time for an all-zero instance
        self._update_mask()
        return self._observation(), self._info()

    def step(self, action):
        """Start the chosen job's next operation now, or wait for the next event (no-op). An
        action outside the action space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.sim is not None, self._done)
        action = discrete_action(self, action, self.max_jobs + 1)
        sim = self.sim
        if self.num_jobs <= action < self.max_jobs:
            return self._fail(f"action {action} is not allowed: job {action} is padding (the "
                              f"instance has {self.num_jobs} jobs)")
        job = min(action, self.num_jobs)  # the no-op is index max_jobs, N without padding
        if not self._mask[job]:
            return self._fail(f"action {action} is not allowed now")
        started = 0
        if job < self.num_jobs:
            started = sim.start(job)
            idle = self._advance_while_nothing_can_start()
        else:
            idle = self._jump(sim.next_event())
            idle += self._advance_while_nothing_can_start()
        reward = (started - idle) / self._longest
        self._return += reward
        self._update_mask()
        terminated = sim.finished()
        info = self._info()
        if terminated:
            self._done = True
            info.update(termination="done", done=True, makespan=sim.makespan(),
                        schedule=sim.starts.copy())
        return self._observation(), reward, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """(N + 1,) bool: the jobs that can start now, and the no-op (last) while something runs
        (N is ``max_jobs`` with padding, the padded jobs False)."""
        if self.max_jobs == self.num_jobs:
            return self._mask.copy()
        return np.append(pad(self._mask[:-1], (self.max_jobs,), False), self._mask[-1])

    def _update_mask(self) -> None:
        """Recompute the action mask after the state changed (kept, since the step, the
        observation and the info all read it)."""
        sim = self.sim
        self._mask = np.append(sim.startable_jobs(), sim.busy_machines().any())

    # ---- time --------------------------------------------------------------------------------
    def _jump(self, to: int) -> int:
        """Move time to ``to``; return the machine idle time of the jump and add each waiting
        job's share to its idle total."""
        sim = self.sim
        span = to - sim.time
        busy = np.minimum(sim.machine_end, to) - sim.time
        idle = int(self.num_machines * span - busy.clip(min=0).sum())
        # a job with operations still to start waits whenever it is not running
        running_part = (np.minimum(sim.job_end, to) - sim.time).clip(min=0)
        self._job_idle += np.where(sim.next_op < sim.num_ops, span - running_part, 0)
        sim.time = to
        return idle

    def _advance_while_nothing_can_start(self) -> int:
        """Jump from event to event until some job can start or everything has ended; return the
        machine idle time of the jumps."""
        sim = self.sim
        idle = 0
        while not sim.startable_jobs().any():
            event = sim.next_event()
            if event is None:  # nothing runs and nothing can start: every operation has ended
                break
            idle += self._jump(event)
        return idle

    # ---- observation -------------------------------------------------------------------------
    def _observation(self) -> dict:
        sim = self.sim
        legal = self._mask[:-1]
        nxt = sim.next_machine()
        has_next = nxt >= 0
        rows = np.arange(self.num_jobs)
        k = np.minimum(sim.next_op, sim.num_ops - 1)
        unstarted_work = self._unstarted_suffix[rows, sim.next_op]
        running_left = (sim.job_end - sim.time).clip(min=0)
        finished = ~has_next & (running_left == 0)
        since_last = np.where(running_left > 0, 0, sim.time - sim.job_end)
        since_last[finished] = 0
        machine_wait = np.zeros(self.num_jobs, np.int64)
        machine_wait[has_next] = (sim.machine_end[nxt[has_next]] - sim.time).clip(min=0)
        jobs = np.stack([
            legal.astype(np.float64),
            (unstarted_work + running_left) / self._largest_job,
            running_left / self._longest,
            sim.next_op / sim.num_ops,
            since_last / self._longest,
            self._job_idle / self._largest_job,
            machine_wait / self._longest,
            np.where(has_next, sim.durations[rows, k], 0) / self._longest,
        ], axis=1).astype(np.float32)
        return {"jobs": pad(jobs, (self.max_jobs, len(FEATURES))),
                "action_mask": self.action_masks()}

    def _info(self) -> dict:
        return {"time": self.sim.time, "action_mask": self.action_masks(),
                "instance": self.sim.instance.name}

    def _fail(self, detail: str):
        """End the episode on an illegal action: the return becomes that of the failure makespan."""
        sim = self.sim
        self._done = True
        failure = sim.failure_makespan()
        final_return = (2 * self._total_work - self.num_machines * failure) / self._longest
        reward = final_return - self._return
        info = self._info()
        info.update(termination="illegal_action", illegal_action=True, detail=detail,
                    failure_makespan=failure, schedule=sim.starts.copy())
        return self._observation(), reward, True, False, info
