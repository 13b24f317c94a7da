"""Recording a training episode's decisions and closing a finished episode: the same for
every constructive network's episode type (lists ``actions``, ``log_probs``, ``values``,
``rewards``; fields ``instance``, ``makespan``, ``schedule``)."""

from __future__ import annotations


def keep_decision(log, action: int, log_prob, value, reward) -> None:
    """Record one decision of a training episode (any episode type with these lists)."""
    log.actions.append(action)
    log.log_probs.append(float(log_prob))
    log.values.append(float(value))
    log.rewards.append(float(reward))


def close_episode(log, info: dict):
    """``log`` with the finished episode's instance, makespan and schedule from ``info``."""
    if info["termination"] != "done":  # the mask is followed, so this is a bug
        raise RuntimeError(f"episode on {info['instance']} ended by "
                           f"{info['termination']}: {info.get('detail', '')}")
    log.instance, log.makespan = info["instance"], int(info["makespan"])
    log.schedule = info["schedule"]
    return log
