"""The teacher of the warm start: the best of the 18 dispatching rules on each training instance,
replayed in the MDP so its decisions become demonstrations (DQfD's idea: the network first learns
to rank the teacher's action above the others, then improves on it by its own TD learning).

A rule schedule of a single-operation instance without release dates runs every machine's jobs
back to back from time 0, so the MDP can play it exactly: at each decision point the teacher's
actions are the pairs (job, machine) whose job the schedule starts on that machine now (any of
them; the others follow at the same time), and the wait when there is none.
"""

from __future__ import annotations

import numpy as np

from ...envs.compat_mdp import CompatMDP
from .features import Decision


def teacher_schedule(instance, reward: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(machine per job, start per job, rule) of the best of the 18 rules on ``instance``: on the
    makespan, or on makespan + total weighted tardiness when the learner's ``reward`` counts it."""
    from ...fjsp.dispatching import RULES, dispatch_schedule

    def cost(schedule) -> float:
        values = schedule.values()
        late = values["weighted_tardiness"] if reward == "makespan+tardiness" else 0
        return values["makespan"] + late

    best_cost, best = None, None
    for rule in RULES:
        schedule = dispatch_schedule(instance, rule)
        value = cost(schedule)
        if best_cost is None or value < best_cost:
            best_cost, best = value, (schedule.assign.copy(), schedule.heads.copy(), rule)
    return best


def teacher_actions(d: Decision, mdp: CompatMDP, machine: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The actions of ``d`` (pair indices, ``d.n_pairs`` for the wait) that follow the teacher's
    schedule: its pairs starting now, else the wait; empty when the schedule cannot be followed
    from here (it waits where the MDP cannot)."""
    jobs = d.jobs[d.pair_job]
    follows = (machine[jobs] == d.machines[d.pair_machine]) & (start[jobs] == mdp.time)
    pairs = np.flatnonzero(follows)
    if len(pairs):
        return pairs
    return np.array([d.n_pairs] if d.can_wait else [], np.int64)
