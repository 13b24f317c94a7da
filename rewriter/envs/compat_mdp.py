"""The dispatching MDP of the compatibility-matrix shop (single-operation flexible instances): the
environment the DQN dispatcher (:mod:`rewriter.learn.dqn`) learns in and `CompatDispatch-v0` wraps.

Jobs with one operation each run on one of their compatible machines (the compatibility matrix
``C[i, k]``: the duration of job i on machine k, -1 when incompatible). The state is the time
``tau``, per job its status (-1 complete, 0 not started, 1 running), begin, duration and deadline,
and per machine its status (0 idle, else the end of its job) and job. An action assigns an
available job to an idle compatible machine, starting now, or waits.

Decision points. After an assignment the time stays: the agent may fill the other idle machines at
the same moment. When no assignment is possible, time jumps from event to event (the end of a
running job, or the release of a job) until one is, without asking the agent; those jumps earn
nothing. A wait jumps to the next event (reward -1). Waiting is allowed only while an event is
still to come (something runs or a job is still to be released): a wait with nothing ahead would
change nothing and could repeat forever. So at every decision point at least one assignment is
possible, and every episode ends.

Rewards (unscaled, as docs/fjsp_dqn.md defines them): an assignment of job i at ``tau`` on machine k earns
``deadline_i - duration_ik - tau`` (its deadline minus its completion time); a wait earns -1; the
episode ends when every job is complete or ``tau >= horizon``, and its last transition also earns
the terminal reward, the sum over the jobs not complete of ``deadline_i - tau`` (0 when all are
complete). A job without a due date has the horizon as its deadline.

Other rewards (:class:`LearnerReward`, the environment's ``reward=``): the specification's sums to
minus the total completion time (plus a constant), not the makespan, and a policy best for it runs
short jobs first and leaves the long ones to unbalance the machines at the end; the DQN learns from
``"makespan"`` by default:
* ``"makespan"``: an assignment earns minus the increase of the latest completion so far, a wait
  nothing; undiscounted, an episode's return is exactly minus the makespan;
* ``"makespan+tardiness"``: the same, minus also the assigned job's weighted tardiness (its
  completion past its deadline, times its weight), so the return is minus (makespan + total
  weighted tardiness): the deadline term of the specification as a penalty on lateness only.

The default horizon, the largest release date plus the sum over jobs of their longest compatible
duration, is never reached by a legal episode: after the last release, time only moves while a job
runs, so the last completion comes at most that long after it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..fjsp.instance import NO_DUE, FlexibleInstance

COMPLETE, NOT_STARTED, RUNNING = -1, 0, 1


def check_single_operation(instance: FlexibleInstance) -> None:
    """An :class:`InputError` unless every job of ``instance`` has exactly one operation."""
    if instance.n_operations != instance.n_jobs:
        many = int(np.flatnonzero(np.diff(instance.job_start) > 1)[0])
        raise InputError(f"{instance.name}: the DQN dispatcher takes single-operation jobs (a "
                         f"compatibility matrix, e.g. compat_50x10_s0), but job {many} has "
                         f"{int(instance.job_start[many + 1] - instance.job_start[many])} operations")


def default_horizon(instance: FlexibleInstance) -> int:
    """A horizon no legal episode reaches: the last release plus every job's longest duration."""
    longest = np.maximum.reduceat(instance.elig_duration, instance.elig_start[:-1])
    return int(instance.release.max() + longest.sum()) + 1


def compatibility_matrix(instance: FlexibleInstance) -> np.ndarray:
    """(n, m) int64: the duration of job i on machine k, -1 when k is not compatible."""
    check_single_operation(instance)
    out = np.full((instance.n_jobs, instance.n_machines), -1, np.int64)
    owner = np.repeat(np.arange(instance.n_jobs), np.diff(instance.elig_start))
    out[owner, instance.elig_machine] = instance.elig_duration
    return out


class CompatMDP:
    """The state of one episode and its transitions (see the module docstring)."""

    def __init__(self, instance: FlexibleInstance, horizon: int | None = None):
        self.instance = instance
        self.durations = compatibility_matrix(instance)          # (n, m), -1 incompatible
        self.compatible = self.durations >= 0
        self.n_jobs, self.n_machines = self.durations.shape
        self.horizon = default_horizon(instance) if horizon is None else int(horizon)
        if self.horizon < 1:
            raise InputError(f"the horizon must be a positive time, got {horizon!r}")
        self.release = instance.release.copy()
        self.deadline = np.where(instance.due == NO_DUE, self.horizon, instance.due)
        self.reset()

    # ---- the state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Time 0, every job not started, every machine idle (then the first decision point)."""
        n, m = self.n_jobs, self.n_machines
        self.time = 0
        self.status = np.full(n, NOT_STARTED, np.int64)
        self.begin = np.full(n, -1, np.int64)
        self.job_machine = np.full(n, -1, np.int64)
        self.job_duration = np.full(n, -1, np.int64)
        self.machine_end = np.zeros(m, np.int64)                 # 0 for a machine never used
        self.machine_job = np.full(m, -1, np.int64)              # -1 when idle
        self.over = False
        self.terminal_reward = 0.0
        self.waits = 0
        self._settle()

    def available_jobs(self) -> np.ndarray:
        """(n,) bool: not started and released."""
        return (self.status == NOT_STARTED) & (self.release <= self.time)

    def idle_machines(self) -> np.ndarray:
        """(m,) bool: no job running."""
        return self.machine_job < 0

    def pair_mask(self) -> np.ndarray:
        """(n, m) bool: the assignments allowed now."""
        if self.over:
            return np.zeros((self.n_jobs, self.n_machines), bool)
        return self.available_jobs()[:, None] & self.idle_machines()[None, :] & self.compatible

    def next_event(self) -> int | None:
        """The earliest time after now at which a job ends or is released, None if none is ahead."""
        ends = self.machine_end[self.machine_job >= 0]
        pending = self.release[(self.status == NOT_STARTED) & (self.release > self.time)]
        times = np.concatenate([ends, pending])
        return int(times.min()) if times.size else None

    def can_wait(self) -> bool:
        """Waiting is allowed while the episode runs and an event is still to come."""
        return not self.over and self.next_event() is not None

    def all_complete(self) -> bool:
        return bool((self.status == COMPLETE).all())

    # ---- transitions ---------------------------------------------------------------------------
    def assign(self, job: int, machine: int) -> float:
        """Start ``job`` on ``machine`` now; return the assignment's reward (the terminal reward,
        if the episode ended, is in :attr:`terminal_reward`)."""
        if self.over or not (0 <= job < self.n_jobs and 0 <= machine < self.n_machines) \
                or not self.pair_mask()[job, machine]:
            raise ValueError(f"assigning job {job} to machine {machine} is not allowed now")
        duration = int(self.durations[job, machine])
        self.status[job] = RUNNING
        self.begin[job] = self.time
        self.job_machine[job] = machine
        self.job_duration[job] = duration
        self.machine_job[machine] = job
        self.machine_end[machine] = self.time + duration
        reward = float(self.deadline[job] - duration - self.time)
        self._settle()
        return reward

    def wait(self) -> float:
        """Jump to the next event; return -1 (the terminal reward is in :attr:`terminal_reward`)."""
        if not self.can_wait():
            raise ValueError("waiting is not allowed now: nothing runs and no job is still to come")
        self.waits += 1
        self._advance(self.next_event())
        self._settle()
        return -1.0

    def _advance(self, to: int) -> None:
        """Move time to ``to``: jobs that ended by then are complete, their machines idle."""
        self.time = to
        ended = (self.status == RUNNING) & (self.begin + self.job_duration <= to)
        self.status[ended] = COMPLETE
        self.machine_job[self.job_machine[ended]] = -1

    def _settle(self) -> None:
        """Complete zero-length jobs, then jump from event to event while no assignment is
        possible; end the episode when every job is complete or the horizon is reached."""
        self._advance(self.time)
        while not self.all_complete() and self.time < self.horizon and not self.pair_mask().any():
            event = self.next_event()
            if event is None:  # cannot happen: some job is not complete, so one runs or waits
                break
            self._advance(event)
        if self.all_complete() or self.time >= self.horizon:
            self.over = True
            unfinished = self.status != COMPLETE
            self.terminal_reward = float((self.deadline[unfinished] - self.time).sum())

    # ---- the result ----------------------------------------------------------------------------
    def completion(self) -> np.ndarray:
        """(n,) end time of every started job, -1 for one never started."""
        return np.where(self.begin >= 0, self.begin + self.job_duration, -1)

    def schedule(self):
        """The episode's schedule as a :class:`~rewriter.fjsp.schedule.FlexibleSchedule` (every job
        must have started)."""
        from ..fjsp.schedule import FlexibleSchedule

        if (self.begin < 0).any():
            raise ValueError(f"{int((self.begin < 0).sum())} jobs were never started: the episode "
                             "reached its horizon first")
        return FlexibleSchedule.from_starts(self.instance, self.job_machine, self.begin)

    def time_scale(self) -> float:
        """T of the state vector: the horizon plus the longest duration (no job assigned before
        the horizon ends later), or the latest deadline if that is later."""
        longest = max(int(self.durations.max()), 1)
        return float(max(self.horizon + longest, int(self.deadline.max()), 1))

    def state_vector(self) -> np.ndarray:
        """The 4n + 2m state, normalised (``docs/fjsp_dqn.md``): per job
        status, begin / T (-1 before it starts), duration / D (the mean compatible duration before
        it starts, then the chosen machine's), deadline / T; per machine end / T (0 when idle) and
        job / n (-1 when idle). T is the horizon plus the longest duration, or the latest deadline
        if later; D is the longest duration."""
        scale, longest = self.time_scale(), max(int(self.durations.max()), 1)
        mean = np.where(self.compatible, self.durations, 0).sum(1) / self.compatible.sum(1)
        duration = np.where(self.job_duration >= 0, self.job_duration, mean) / longest
        begin = np.where(self.begin >= 0, self.begin / scale, -1.0)
        jobs = np.stack([self.status.astype(np.float64), begin, duration, self.deadline / scale], 1)
        idle = self.machine_job < 0
        machine_end = np.where(idle, 0.0, self.machine_end / scale)
        machine_job = np.where(idle, -1.0, self.machine_job / self.n_jobs)
        machines = np.stack([machine_end, machine_job], 1)
        return np.concatenate([jobs.reshape(-1), machines.reshape(-1)]).astype(np.float32)


# ---- rewards other than the specification's ---------------------------------------------------
REWARDS = ("makespan", "makespan+tardiness", "spec")


class LearnerReward:
    """A reward along one episode of ``mdp`` (it remembers the latest completion): the
    specification's (``"spec"``) or a makespan reward (the module docstring, "Other rewards").
    """

    def __init__(self, kind: str, mdp: CompatMDP, time_scale: float):
        if kind not in REWARDS:
            raise ValueError(f"unknown reward {kind!r}; expected one of {', '.join(REWARDS)}")
        self.kind, self.mdp = kind, mdp
        self.latest = 0  # the latest completion of the jobs assigned so far
        self.weight = mdp.instance.weight.astype(np.float64)
        # each job's shortest compatible duration (the baseline's bound reads it at every decision)
        self.fastest = np.where(mdp.compatible, mdp.durations, np.iinfo(np.int64).max).min(1)
        # rewards are divided by this for learning: the return is then about 1 at every size
        self.scale = time_scale * (mdp.n_jobs if kind == "spec" else 1.0)

    def assigned(self, job: int, spec_reward: float) -> float:
        """The reward of the assignment of ``job`` just made (``spec_reward``: the MDP's)."""
        if self.kind == "spec":
            return spec_reward
        end = int(self.mdp.begin[job] + self.mdp.job_duration[job])
        reward = -float(max(end - self.latest, 0))
        self.latest = max(self.latest, end)
        if self.kind == "makespan+tardiness":
            reward -= float(self.weight[job] * max(end - self.mdp.deadline[job], 0))
        return reward

    def waited(self, spec_reward: float) -> float:
        return spec_reward if self.kind == "spec" else 0.0

    def terminal(self) -> float:
        """The reward added to the last transition: the MDP's terminal reward for ``"spec"``; for
        the others, only an episode cut by the horizon earns one (:meth:`cut_at`)."""
        if self.kind == "spec":
            return self.mdp.terminal_reward
        return 0.0 if self.mdp.all_complete() else self.cut_at(self.mdp.time)

    def cut_at(self, time: int) -> float:
        """The reward of ending the episode at ``time`` with the jobs not complete: the spec's
        terminal reward at that time, or, for the makespan rewards, the jobs not complete charged
        as if they ended then."""
        mdp = self.mdp
        unfinished = mdp.status != COMPLETE
        if self.kind == "spec":
            return float((mdp.deadline[unfinished] - time).sum())
        late = float((self.weight[unfinished] * np.maximum(time - mdp.deadline[unfinished], 0)).sum())
        reward = -float(max(time - self.latest, 0)) if unfinished.any() else 0.0
        return reward - (late if self.kind == "makespan+tardiness" else 0.0)

    def baseline(self) -> float:
        """A first estimate of the return still to come, unscaled (the learner's Q adds it to what
        it learns): for ``"spec"`` the sum over jobs not started of (deadline - now), which no
        action changes; for the makespan rewards
        minus how far a lower bound on the makespan lies past the latest completion (the work
        still to do, each job at its fastest, spread evenly over the machines from now, and the
        job that ends last if started now on its fastest machine)."""
        mdp = self.mdp
        unstarted = mdp.status == NOT_STARTED
        if self.kind == "spec":
            return float((mdp.deadline[unstarted] - mdp.time).sum())
        fastest = self.fastest
        running = mdp.status == RUNNING
        left = (mdp.begin[running] + mdp.job_duration[running] - mdp.time).sum()
        work = float(fastest[unstarted].sum() + left)
        bound = mdp.time + work / mdp.n_machines
        if unstarted.any():
            bound = max(bound, mdp.time + float(fastest[unstarted].max()))
        return -max(bound - self.latest, 0.0)
