"""The state of a job shop being built forward in time: the simulation both constructive
environments (``JobShop-v0`` and ``JobShopDispatch-v0``) step.

Operations only ever start at the current time and run to completion, so a machine is busy from
the start of its last operation until ``machine_end`` and a job is running until ``job_end``:
these two arrays, with each job's next operation and the start times so far, are the whole
state. The environments differ only in how they move time forward (one unit per step, or to the
next event) and in what they show the agent.
"""

from __future__ import annotations

import numpy as np

from ..jssp.instance import JobShopInstance


class ShopSimulation:
    """Operations started one by one at the current time on an instance's machines."""

    def __init__(self, instance: JobShopInstance):
        self.instance = instance
        self.durations = instance.durations            # (N, K)
        self.machines = instance.machines              # (N, K)
        self.num_jobs, self.num_ops = instance.durations.shape
        self.num_machines = instance.n_machines
        self.time = 0
        self.next_op = np.zeros(self.num_jobs, np.int64)        # K once the job is all started
        self.job_end = np.zeros(self.num_jobs, np.int64)        # end of the job's last started op
        self.machine_end = np.zeros(self.num_machines, np.int64)
        self.machine_job = np.full(self.num_machines, -1, np.int64)  # job of the last op started
        self.starts = np.full((self.num_jobs, self.num_ops), -1, np.int64)
        # work not yet started, kept up to date so the failure score costs O(1)
        self.unstarted_work = int(self.durations.sum())

    # ---- what can happen now -------------------------------------------------------------------
    def next_machine(self) -> np.ndarray:
        """(N,) machine of each job's next operation, -1 for a job whose operations all started."""
        has_next = self.next_op < self.num_ops
        rows = np.arange(self.num_jobs)
        out = np.full(self.num_jobs, -1, np.int64)
        out[has_next] = self.machines[rows[has_next], self.next_op[has_next]]
        return out

    def startable_jobs(self) -> np.ndarray:
        """(N,) bool: the job's next operation could start now (the job is not running and the
        machine of that operation is free)."""
        nxt = self.next_machine()
        ok = (nxt >= 0) & (self.job_end <= self.time)
        ok[ok] &= self.machine_end[nxt[ok]] <= self.time
        return ok

    def busy_machines(self) -> np.ndarray:
        """(M,) bool: the machine is processing an operation at the current time."""
        return self.machine_end > self.time

    def remaining_times(self) -> np.ndarray:
        """(M,) time until each machine is free, 0 when idle."""
        return np.maximum(self.machine_end - self.time, 0)

    def running_jobs(self) -> np.ndarray:
        """(M,) the job each machine is processing now, -1 when idle."""
        return np.where(self.busy_machines(), self.machine_job, -1)

    def all_started(self) -> bool:
        return bool((self.next_op >= self.num_ops).all())

    def finished(self) -> bool:
        """Every operation has started and ended."""
        return self.all_started() and bool((self.machine_end <= self.time).all())

    def next_event(self) -> int | None:
        """The earliest time after now at which a running operation ends, None if none runs."""
        ends = self.machine_end[self.machine_end > self.time]
        return int(ends.min()) if ends.size else None

    def remaining_work(self) -> int:
        """Processing time still to be done: the unstarted operations and the rest of the running
        ones."""
        return self.unstarted_work + int(self.remaining_times().sum())

    # ---- changing the state --------------------------------------------------------------------
    def start(self, job: int) -> int:
        """Start ``job``'s next operation now (the caller has checked that it may); return its
        duration."""
        k = int(self.next_op[job])
        machine = int(self.machines[job, k])
        duration = int(self.durations[job, k])
        self.starts[job, k] = self.time
        self.next_op[job] = k + 1
        self.job_end[job] = self.machine_end[machine] = self.time + duration
        self.machine_job[machine] = job
        self.unstarted_work -= duration
        return duration

    def makespan(self) -> int:
        """The largest end time among the started operations (0 before any starts)."""
        started = self.starts >= 0
        if not started.any():
            return 0
        return int((self.starts + self.durations)[started].max())

    def failure_makespan(self) -> int:
        """The makespan an episode that fails now (illegal action, deadlock) is scored with: the
        current time plus all the remaining work, the makespan of finishing the running operations
        and then running the rest one at a time. Finishing without idling never scores worse, so
        ending an episode on purpose never pays."""
        return self.time + self.remaining_work()
