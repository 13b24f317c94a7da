"""The state of an online MRT simulation (one cluster, jobs arriving over time), without gymnasium.

At time ``t`` a job is *waiting* (arrived, not started), *running* (started, not ended) or not in
the system (not arrived yet, or ended). Time only moves to the next *event*: an arrival or the
end of a running job; nothing can change in between. Jobs start only at the current time, and
running jobs only end, so the resources used at any later time are at most those used now: a
job that fits the free capacity now fits for its whole length.

The slowdown a job accrues is ``(C - A) / T``: every unit of time it spends in the system adds
``1 / T``. :meth:`MrtCluster.advance` returns what the jobs in the system accrued during the jump,
so the sum over an episode is the schedule's total slowdown (DeepRM's reward, negated).
"""

from __future__ import annotations

import numpy as np

from ..mrt.instance import MrtInstance


class MrtCluster:
    """Waiting queue (by arrival, ties by job number), running jobs and free capacity at ``time``."""

    def __init__(self, instance: MrtInstance):
        self.instance = instance
        self.length = instance.length
        self.demand = instance.demand
        self.free = instance.capacity.copy()
        self.inverse_length = 1.0 / instance.length
        self.order = instance.arrival_order.tolist()
        self.starts = np.full(instance.n_jobs, -1, np.int64)
        self.waiting: list[int] = []
        self.running: list[int] = []
        self.arrived = 0          # jobs of ``order`` that have arrived
        self.time = 0
        self._admit()

    # ---- state -------------------------------------------------------------------------------
    def fits(self, job: int) -> bool:
        return bool((self.demand[job] <= self.free).all())

    def finished(self) -> bool:
        return self.arrived == len(self.order) and not self.waiting and not self.running

    def remaining(self) -> np.ndarray:
        """Time left of each running job (in ``running`` order)."""
        return self.starts[self.running] + self.length[self.running] - self.time

    def next_event(self) -> int | None:
        """The next arrival or end of a running job; None when neither is to come."""
        events = []
        if self.arrived < len(self.order):
            events.append(int(self.instance.arrival[self.order[self.arrived]]))
        if self.running:
            events.append(self.time + int(self.remaining().min()))
        return min(events) if events else None

    # ---- changes -----------------------------------------------------------------------------
    def start(self, job: int) -> None:
        """Start waiting ``job`` now (the caller checked that it fits)."""
        self.waiting.remove(job)
        self.running.append(job)
        self.free -= self.demand[job]
        self.starts[job] = self.time

    def advance(self) -> float:
        """Jump to the next event; return the slowdown the jobs in the system accrued meanwhile
        (the set of jobs in the system is constant between two events)."""
        to = self.next_event()
        if to is None:
            raise RuntimeError("nothing runs and nothing arrives: time cannot advance")
        in_system = self.waiting + self.running
        accrued = (to - self.time) * float(self.inverse_length[in_system].sum())
        self.time = to
        ended = [j for j in self.running if self.starts[j] + self.length[j] <= to]
        for job in ended:
            self.running.remove(job)
            self.free += self.demand[job]
        self._admit()
        return accrued

    def _admit(self) -> None:
        arrival = self.instance.arrival
        while self.arrived < len(self.order) and arrival[self.order[self.arrived]] <= self.time:
            self.waiting.append(self.order[self.arrived])
            self.arrived += 1

    # ---- failure -------------------------------------------------------------------------------
    def serial_total_slowdown(self) -> float:
        """Total slowdown if, from now, the jobs not started yet ran one at a time (by arrival)
        after every running job: what an episode ended by an illegal action is scored as."""
        starts = self.starts.copy()
        cursor = self.time + (int(self.remaining().max()) if self.running else 0)
        for job in self.waiting + self.order[self.arrived:]:
            starts[job] = max(cursor, int(self.instance.arrival[job]))
            cursor = int(starts[job] + self.length[job])
        return float(((starts + self.length - self.instance.arrival) / self.length).sum())
