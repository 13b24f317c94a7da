"""Playing episodes of the flexible shop's hierarchical MDP with the policy, several side by side.

:func:`play` steps a list of :class:`~rewriter.envs.flexible_mdp.FlexibleMDP` together: per
operation placed, one forward pass scores the jobs of every running episode, each takes its job,
a second pass scores the machines for the chosen jobs, each places its operation. It serves
training (sampled choices, every decision recorded with its joint log-probability, value and
reward) and decoding (greedy, with ``rng`` None). Every random draw comes from one numpy generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...envs.flexible_mdp import FlexibleMDP
from ..construct.policy import choose
from .features import job_view, machine_view
from .policy import HierarchicalPolicy


@dataclass
class Episode:
    """One finished episode; with ``record``, its decisions (one per operation)."""

    instance: str
    makespan: int
    norm: float                                     # the instance's lower bound (reward scale)
    mdp: FlexibleMDP
    jobs: list = field(default_factory=list)        # (n, Fj) job features
    alive: list = field(default_factory=list)       # (n,)
    pickable: list = field(default_factory=list)    # (n,)
    job_machines: list = field(default_factory=list)  # (m, MACHINE_COMMON)
    machines: list = field(default_factory=list)    # (m, Fm) machine phase
    eligible: list = field(default_factory=list)    # (m,)
    job_actions: list = field(default_factory=list)
    machine_actions: list = field(default_factory=list)
    log_probs: list = field(default_factory=list)   # joint: job + machine
    values: list = field(default_factory=list)
    rewards: list = field(default_factory=list)     # minus the makespan increment / norm


def play(policy: HierarchicalPolicy, mdps: list[FlexibleMDP], rng: np.random.Generator | None,
         record: bool = False) -> list[Episode]:
    """Run every MDP (from its current state) to the end; ``rng`` None is greedy decoding."""
    episodes = [Episode(m.instance.name, -1, float(max(m.instance.trivial_lower_bound(), 1)), m)
                for m in mdps]
    active = [i for i, m in enumerate(mdps) if not m.over]
    policy.eval()
    while active:
        running = [mdps[i] for i in active]
        jv = job_view(running)
        with torch.inference_mode():
            embedded, context = policy.encode(torch.from_numpy(jv.jobs), torch.from_numpy(jv.alive),
                                              torch.from_numpy(jv.machines))
            job_lp = policy.job_log_probs(embedded, context, torch.from_numpy(jv.pickable))
            values = policy.value(context).numpy() if record else None
        jobs = choose(job_lp.numpy(), rng)
        for mdp, job in zip(running, jobs):
            mdp.choose_job(int(job))
        mv = machine_view(running, jv.machines)
        with torch.inference_mode():
            chosen = embedded[torch.arange(len(running)), torch.from_numpy(jobs)]
            machine_lp = policy.machine_log_probs(torch.from_numpy(mv.machines),
                                                  torch.from_numpy(mv.eligible), chosen, context)
        machines = choose(machine_lp.numpy(), rng)
        for row, (i, mdp) in enumerate(zip(active, running)):
            increment = mdp.choose_machine(int(machines[row]))
            if record:
                _keep(episodes[i], jv, mv, row, int(jobs[row]), int(machines[row]),
                      float(job_lp[row, jobs[row]] + machine_lp[row, machines[row]]),
                      float(values[row]), -increment / episodes[i].norm)
        active = [i for i in active if not mdps[i].over]
    for episode in episodes:
        episode.makespan = episode.mdp.makespan
    return episodes


def _keep(episode: Episode, jv, mv, row: int, job: int, machine: int, log_prob: float,
          value: float, reward: float) -> None:
    episode.jobs.append(jv.jobs[row])
    episode.alive.append(jv.alive[row])
    episode.pickable.append(jv.pickable[row])
    episode.job_machines.append(jv.machines[row])
    episode.machines.append(mv.machines[row])
    episode.eligible.append(mv.eligible[row])
    episode.job_actions.append(job)
    episode.machine_actions.append(machine)
    episode.log_probs.append(log_prob)
    episode.values.append(value)
    episode.rewards.append(reward)
