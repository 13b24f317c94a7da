"""The flexible shop's constructive MDP with a hierarchical action: first a job, then one of the
eligible machines of its next operation (the environment ``rewriter/FlexibleShop-v0`` wraps it,
the hierarchical PPO policy of :mod:`rewriter.learn.hierarchical` plays it directly).

Time semantics (those of the dispatching rules, :mod:`rewriter.fjsp.dispatching`): operations are
appended. Job j's next operation on machine k starts at ``max(ready_j, free_k)``, ``ready_j`` the
end of its previous operation (its release date for the first), ``free_k`` the end of the last
operation put on k; so every start is the earliest that the job order, the machine order and the
release date allow, and the schedule is a valid flexible-shop schedule.

Which jobs may be picked (``jobs``):

* ``"active"`` (default): the Giffler-Thompson conflict set the rules choose from. Each unfinished
  job's next operation is placed on its earliest-ending eligible machine (ties: the shorter
  duration); with C* the earliest of those ends, the jobs whose operation could start there before
  C* may be picked (if none can, zero-length operations, those ending at C*). Any schedule built
  this way is active in the rules' sense whatever machine the second decision then takes.
* ``"all"``: every unfinished job (the plan's full visibility; idle gaps may be created).

Every unfinished job is in the observation either way. The second decision may take any eligible
machine of the chosen job's next operation.

Features (the observation, size-invariant: times relative to the decision time ``now``, the
earliest possible start over the unfinished jobs, in units of ``scale``, the mean fastest
duration of an operation, compressed by ``sign(x) log(1 + |x|)``):

* per job (:data:`JOB_FEATURES`): unfinished, pickable now, the chosen one (machine phase),
  operations left / the most any job has, remaining work (fastest durations), the next operation's
  fastest duration, its earliest start and end (on its earliest-ending machine) relative to
  ``now`` and to C*, slack (due - now - remaining work, 0 without a due date), has a due date,
  the next operation's mean / fastest duration - 1, ready time relative to ``now``;
* per machine (:data:`MACHINE_FEATURES`): a real machine, free time relative to ``now``, load
  (work assigned) / the mean load, the share of the pickable jobs whose next operation it can run;
  in the machine phase also, for the chosen job's next operation: eligible, duration / fastest,
  start and end relative to the earliest start and end over its eligible machines (zeros in the
  job phase and on machines that cannot run it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..fjsp.instance import NO_DUE, FlexibleInstance

JOB_PICKS = ("active", "all")
JOB_FEATURES = ("unfinished", "pickable", "chosen", "ops_left", "work_left", "next_fastest",
                "start_vs_now", "end_vs_cstar", "slack", "has_due", "flex_cost", "ready_vs_now")
MACHINE_FEATURES = ("real", "free_vs_now", "load_ratio", "demand", "eligible", "dur_ratio",
                    "start_vs_best", "end_vs_best")
#: machine columns that are the same in both phases (the job phase sees only these)
MACHINE_COMMON = 4
FEATURE_LIMIT = 20.0  # every feature is clipped to [-20, 20] (the observation boxes' bounds)
JOB_PHASE, MACHINE_PHASE = 0, 1
_NEVER = np.iinfo(np.int64).max // 4


def slog(x) -> np.ndarray:
    """``sign(x) log(1 + |x|)``: a time in units of the scale, compressed so that release dates
    hundreds of operations away stay in range."""
    x = np.asarray(x, np.float64)
    return np.sign(x) * np.log1p(np.abs(x))


class FlexibleMDP:
    """The state of one episode and its two kinds of transition (see the module docstring)."""

    def __init__(self, instance: FlexibleInstance, jobs: str = "active"):
        if jobs not in JOB_PICKS:
            raise ValueError(f"jobs is one of {', '.join(JOB_PICKS)}, got {jobs!r}")
        self.instance, self.jobs = instance, jobs
        inst = instance
        self.n_jobs, self.n_machines, self.n_ops = inst.n_jobs, inst.n_machines, inst.n_operations
        self.job_end = inst.job_start[1:].copy()
        counts = np.diff(inst.elig_start)
        width = int(counts.max())
        rows = np.repeat(np.arange(self.n_ops), counts)
        cols = np.arange(len(rows)) - inst.elig_start[rows]
        self.op_machine = np.zeros((self.n_ops, width), np.int64)
        self.op_duration = np.zeros((self.n_ops, width), np.int64)
        self.op_ok = np.zeros((self.n_ops, width), bool)
        self.op_machine[rows, cols] = inst.elig_machine
        self.op_duration[rows, cols] = inst.elig_duration
        self.op_ok[rows, cols] = True
        self.fastest = np.minimum.reduceat(inst.elig_duration, inst.elig_start[:-1])
        self.mean = np.add.reduceat(inst.elig_duration, inst.elig_start[:-1]) / counts
        # work_after[o]: the fastest work of operations o .. the job's last (one past: 0)
        suffix = np.zeros(self.n_ops + 1, np.float64)
        owner_end = np.append(self.job_end[inst.op_job], self.n_ops)
        for o in range(self.n_ops - 1, -1, -1):
            suffix[o] = self.fastest[o] + (suffix[o + 1] if o + 1 < owner_end[o] else 0.0)
        self.work_after = suffix
        self.scale = max(float(self.fastest.mean()), 1.0)
        self.most_ops = float(np.diff(inst.job_start).max())
        self.has_due = inst.due != NO_DUE
        #: a makespan no schedule of this MDP exceeds: the last release plus all the longest work
        longest = np.maximum.reduceat(inst.elig_duration, inst.elig_start[:-1])
        self.horizon = int(inst.release.max() + longest.sum())
        self.reset()

    # ---- the state -----------------------------------------------------------------------------
    def reset(self) -> None:
        self.next_op = self.instance.job_start[:-1].copy()
        self.ready = self.instance.release.copy()
        self.free = np.zeros(self.n_machines, np.int64)
        self.load = np.zeros(self.n_machines, np.int64)
        self.assign = np.full(self.n_ops, -1, np.int64)
        self.start = np.full(self.n_ops, -1, np.int64)
        self.order: list[int] = []  # operations in the order they were placed
        self.makespan = 0
        self.phase = JOB_PHASE
        self.chosen = -1
        self.decisions = 0
        self._refresh()

    @property
    def over(self) -> bool:
        return not self.unfinished.any()

    def _refresh(self) -> None:
        """Each unfinished job's next operation on its earliest-ending machine, and the jobs that
        may be picked now."""
        self.unfinished = self.next_op < self.job_end
        self.best_start = np.empty(self.n_jobs, np.int64)
        self.best_end = np.empty(self.n_jobs, np.int64)
        _earliest_ends(self.next_op, self.job_end, self.ready, self.free, self.op_machine,
                       self.op_duration, self.op_ok, self.best_start, self.best_end)
        if self.over:
            self.pickable = np.zeros(self.n_jobs, bool)
            self.now = self.cstar = self.makespan
            return
        self.cstar = int(self.best_end.min())
        self.now = int(self.best_start.min())
        if self.jobs == "all":
            self.pickable = self.unfinished.copy()
            return
        self.pickable = self.unfinished & (self.best_start < self.cstar)
        if not self.pickable.any():  # zero-length operations end where they start
            self.pickable = self.unfinished & (self.best_end == self.cstar)

    def _next_options(self) -> tuple[np.ndarray, np.ndarray]:
        """(machines (n, E), usable (n, E)) of every job's next operation (none for finished)."""
        ops = np.minimum(self.next_op, self.n_ops - 1)
        return self.op_machine[ops], self.op_ok[ops] & self.unfinished[:, None]

    # ---- the two decisions ---------------------------------------------------------------------
    def machine_mask(self) -> np.ndarray:
        """(m,) bool: the eligible machines of the chosen job's next operation (machine phase;
        all False in the job phase)."""
        out = np.zeros(self.n_machines, bool)
        if self.phase == MACHINE_PHASE:
            o = self.next_op[self.chosen]
            out[self.op_machine[o][self.op_ok[o]]] = True
        return out

    def choose_job(self, job: int) -> None:
        if self.phase != JOB_PHASE or not (0 <= job < self.n_jobs) or not self.pickable[job]:
            raise ValueError(f"job {job} may not be picked now")
        self.chosen, self.phase = int(job), MACHINE_PHASE

    def choose_machine(self, machine: int) -> int:
        """Put the chosen job's next operation on ``machine``; returns the makespan increment."""
        if self.phase != MACHINE_PHASE or not (0 <= machine < self.n_machines) \
                or not self.machine_mask()[machine]:
            raise ValueError(f"machine {machine} may not be chosen now")
        job, o = self.chosen, int(self.next_op[self.chosen])
        duration = int(self.op_duration[o][self.op_ok[o] & (self.op_machine[o] == machine)][0])
        start = max(int(self.ready[job]), int(self.free[machine]))
        end = start + duration
        self.assign[o], self.start[o] = machine, start
        self.order.append(o)
        self.free[machine] = end
        self.load[machine] += duration
        self.ready[job] = end
        self.next_op[job] += 1
        before, self.makespan = self.makespan, max(self.makespan, end)
        self.phase, self.chosen = JOB_PHASE, -1
        self.decisions += 1
        self._refresh()
        return self.makespan - before

    # ---- what a policy sees --------------------------------------------------------------------
    def job_features(self) -> np.ndarray:
        """(n, len(JOB_FEATURES)) float32 (zeros for finished jobs)."""
        alive, s = self.unfinished, self.scale
        ops = np.minimum(self.next_op, self.n_ops - 1)
        due_slack = np.where(self.has_due, self.instance.due - self.now - self.work_after[ops], 0)
        chosen = np.zeros(self.n_jobs)
        if self.chosen >= 0:
            chosen[self.chosen] = 1.0
        columns = [alive, self.pickable, chosen,
                   (self.job_end - self.next_op) / self.most_ops,
                   slog(self.work_after[ops] / s), slog(self.fastest[ops] / s),
                   slog((self.best_start - self.now) / s), slog((self.best_end - self.cstar) / s),
                   slog(due_slack / s), self.has_due, self.mean[ops] / self.fastest.clip(1)[ops] - 1,
                   slog((self.ready - self.now) / s)]
        out = np.stack([np.asarray(c, np.float64) for c in columns], 1)
        out[~alive] = 0.0
        return out.clip(-FEATURE_LIMIT, FEATURE_LIMIT).astype(np.float32)

    def machine_common(self) -> np.ndarray:
        """(m, MACHINE_COMMON) float32: the machine columns both phases share."""
        m = self.n_machines
        out = np.empty((m, MACHINE_COMMON), np.float64)
        out[:, 0] = 1.0
        out[:, 1] = slog((self.free - self.now) / self.scale)
        mean_load = self.load.mean()
        out[:, 2] = self.load / mean_load if mean_load > 0 else 1.0
        machines, usable = self._next_options()
        picked = usable & self.pickable[:, None]
        out[:, 3] = np.bincount(machines[picked], minlength=m) / max(int(self.pickable.sum()), 1)
        return out.clip(-FEATURE_LIMIT, FEATURE_LIMIT).astype(np.float32)

    def machine_features(self, common: np.ndarray | None = None) -> np.ndarray:
        """(m, len(MACHINE_FEATURES)) float32; the chosen operation's columns only in the
        machine phase. ``common``: :meth:`machine_common` of this state, if already at hand."""
        out = np.zeros((self.n_machines, len(MACHINE_FEATURES)), np.float32)
        out[:, :MACHINE_COMMON] = self.machine_common() if common is None else common
        if self.phase == MACHINE_PHASE:
            job, o, s = self.chosen, self.next_op[self.chosen], self.scale
            where = self.op_machine[o][self.op_ok[o]]
            duration = self.op_duration[o][self.op_ok[o]]
            start = np.maximum(self.ready[job], self.free[where])
            end = start + duration
            out[where, 4] = 1.0
            out[where, 5] = np.minimum(duration / max(int(duration.min()), 1), FEATURE_LIMIT)
            out[where, 6] = np.minimum(slog((start - start.min()) / s), FEATURE_LIMIT)
            out[where, 7] = np.minimum(slog((end - end.min()) / s), FEATURE_LIMIT)
        return out

    # ---- the result ----------------------------------------------------------------------------
    def schedule(self):
        """The finished episode's :class:`~rewriter.fjsp.schedule.FlexibleSchedule`: each machine
        runs its operations in the order they were put on it, so its start times are the MDP's."""
        from ..fjsp.schedule import FlexibleSchedule

        if not self.over:
            raise ValueError(f"{int(self.unfinished.sum())} jobs are not finished")
        sequences = [[] for _ in range(self.n_machines)]
        for o in self.order:
            sequences[int(self.assign[o])].append(o)
        return FlexibleSchedule(self.instance, self.assign, sequences)


@njit(cache=True)
def _earliest_ends(next_op, job_end, ready, free, op_machine, op_duration, op_ok, best_start,
                   best_end):
    """Per job, the start and end of its next operation on the eligible machine that ends it
    first (ties: the shorter duration, then the first listed, as the rules' eet); _NEVER for a
    finished job."""
    for j in range(next_op.shape[0]):
        o = next_op[j]
        best_start[j] = _NEVER
        best_end[j] = _NEVER
        if o >= job_end[j]:
            continue
        best_duration = 0
        for e in range(op_machine.shape[1]):
            if not op_ok[o, e]:
                break
            d = op_duration[o, e]
            s = max(ready[j], free[op_machine[o, e]])
            if s + d < best_end[j] or (s + d == best_end[j] and d < best_duration):
                best_start[j], best_end[j], best_duration = s, s + d, d
