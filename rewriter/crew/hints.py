"""A starting solution handed to an exact or reference solver: checked before it is used.

A solver warm-started from a schedule also returns that schedule when it finds nothing better,
so a hint that is not a solution (an order missing or served twice, an operator over capacity)
would come back as an answer: it is refused here, in one line.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .instance import CrewInstance
from .schedule import TOLERANCE, CrewSchedule

__all__ = ["checked_hint"]


def checked_hint(instance: CrewInstance, hint: CrewSchedule | None, solver: str) -> CrewSchedule | None:
    """``hint`` re-based on ``instance`` if it is a feasible solution of it (else InputError)."""
    if hint is None:
        return None
    if not isinstance(hint, CrewSchedule):
        raise InputError(f"{solver}: a hint must be a CrewSchedule, found {type(hint).__name__}")
    if len(hint.routes) != instance.n_operators:
        raise InputError(f"{solver}: the hint has {len(hint.routes)} routes, the instance "
                         f"{instance.n_operators} operators")
    seen = np.zeros(instance.n_orders, np.int64)
    for route in hint.routes:
        if route.size and (route.min() < 0 or route.max() >= instance.n_orders):
            raise InputError(f"{solver}: the hint names an order outside 0..{instance.n_orders - 1}")
        np.add.at(seen, route, 1)
    if (seen != 1).any():
        i = int(np.flatnonzero(seen != 1)[0])
        raise InputError(f"{solver}: the hint serves order {i} {int(seen[i])} times (expected once)")
    schedule = CrewSchedule(instance, [r.copy() for r in hint.routes])
    over = schedule.times - instance.capacity
    if (over > TOLERANCE).any():
        k = int(np.argmax(over))
        raise InputError(f"{solver}: the hint's operator {k} works {schedule.times[k]:g} hours, "
                         f"over its capacity {instance.capacity[k]:g}")
    return schedule
