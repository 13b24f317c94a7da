"""The warm start of the hierarchical policy: imitating mwkr-eet, the strongest of the 18 rules on
the production family, before PPO.

:func:`teacher_episodes` plays random instances with the rule's two choices (most mean work left
among the pickable jobs, lowest index on ties; then the eligible machine that ends the operation
first, ties to the shorter duration, then the first listed: exactly the rule's schedule, as
tests/test_env_flexible.py checks), recording the policy's inputs at each decision like a PPO
rollout. :func:`imitation_update` fits both heads to the rule's choices (cross-entropy) and the
critic to the returns that followed, so PPO starts from the rule's schedules with a critic that
already values them.
"""

from __future__ import annotations

import numpy as np
import torch

from ...envs.flexible_mdp import FlexibleMDP
from ..algorithms import value_loss
from .features import job_view, machine_view
from .policy import HierarchicalPolicy
from .rollout import Episode, _keep


def mean_work(mdp: FlexibleMDP) -> np.ndarray:
    """(n,) each job's mean work: the sum of its operations' mean durations, added one by one
    from 0 as the rule's kernel adds them (numpy's vectorised sum adds in another order, and a
    last-bit difference decides ties between jobs of equal work differently)."""
    inst = mdp.instance
    return np.array([sum(mdp.mean[lo:hi].tolist(), 0.0)
                     for lo, hi in zip(inst.job_start[:-1], inst.job_start[1:])])


def rule_job(mdp: FlexibleMDP, work: np.ndarray) -> int:
    """mwkr: the pickable job with the most mean work left (``work``), the lowest index on ties."""
    pickable = np.flatnonzero(mdp.pickable)
    return int(pickable[np.argmax(work[pickable])])


def rule_machine(mdp: FlexibleMDP) -> int:
    """eet: the chosen operation's eligible machine that ends it first, ties to the shorter
    duration, then the first listed."""
    job, o = mdp.chosen, mdp.next_op[mdp.chosen]
    ok = mdp.op_ok[o]
    machines, durations = mdp.op_machine[o][ok], mdp.op_duration[o][ok]
    ends = np.maximum(mdp.ready[job], mdp.free[machines]) + durations
    return int(machines[np.lexsort((np.arange(len(machines)), durations, ends))[0]])


def teacher_episodes(instances: list, jobs: str = "active") -> list[Episode]:
    """One mwkr-eet episode per instance, every decision recorded (returns in ``rewards``)."""
    episodes = []
    for inst in instances:
        mdp = FlexibleMDP(inst, jobs)
        episode = Episode(inst.name, -1, float(max(inst.trivial_lower_bound(), 1)), mdp)
        work = mean_work(mdp)
        while not mdp.over:
            jv = job_view([mdp])
            job = rule_job(mdp, work)
            mdp.choose_job(job)
            mv = machine_view([mdp], jv.machines)
            machine = rule_machine(mdp)
            work[job] -= mdp.mean[mdp.next_op[job]]
            increment = mdp.choose_machine(machine)
            _keep(episode, jv, mv, 0, job, machine, 0.0, 0.0, -increment / episode.norm)
        episode.makespan = mdp.makespan
        episodes.append(episode)
    return episodes


def imitation_update(policy: HierarchicalPolicy, optimizer, batch: dict, epochs: int,
                     minibatch: int, value_coef: float,
                     rng: np.random.Generator) -> dict[str, float]:
    """``epochs`` passes over the teacher's decisions: cross-entropy of both heads on the rule's
    choices plus ``value_coef`` x the critic's regression on the returns to go."""
    policy.train()
    size = len(batch["job_actions"])
    sums, steps = {"loss": 0.0, "policy_loss": 0.0, "value_loss": 0.0}, 0
    orders = [torch.from_numpy(rng.permutation(size)) for _ in range(epochs)]
    for order, start in ((order, start) for order in orders for start in range(0, size, minibatch)):
        part = {k: v[order[start:start + minibatch]] for k, v in batch.items()}
        job_lp, machine_lp, values = policy.evaluate(part)
        taken = (job_lp.gather(1, part["job_actions"][:, None])
                 + machine_lp.gather(1, part["machine_actions"][:, None]))
        policy_loss = -taken.mean()
        critic_loss = value_loss(values, part["returns"])
        loss = policy_loss + value_coef * critic_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for key, value in (("loss", loss), ("policy_loss", policy_loss),
                           ("value_loss", critic_loss)):
            sums[key] += float(value.detach())
        steps += 1
    return {key: value / steps for key, value in sums.items()}
