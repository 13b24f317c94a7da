"""A starting solution handed to an exact or reference solver: checked before it is used.

A solver warm-started from a schedule also returns that schedule when it finds nothing better,
so a hint that is not a solution (an order missing or served twice, an operator over capacity)
would come back as an answer: it is refused here, in one line, by the independent validator.
"""

from __future__ import annotations

from ..errors import InputError
from .instance import CrewInstance
from .schedule import CrewSchedule
from .validate import violations

__all__ = ["checked_hint"]


def checked_hint(instance: CrewInstance, hint: CrewSchedule | None, solver: str) -> CrewSchedule | None:
    """``hint`` re-based on ``instance`` if it is a feasible solution of it (else InputError)."""
    if hint is None:
        return None
    if not isinstance(hint, CrewSchedule):
        raise InputError(f"{solver}: a hint must be a CrewSchedule, found {type(hint).__name__}")
    problems = violations(instance, [r.tolist() for r in hint.routes], limit=3)
    if problems:
        raise InputError(f"{solver}: the hint is not a feasible solution of {instance.name}: "
                         + "; ".join(problems))
    return CrewSchedule(instance, [r.copy() for r in hint.routes])
