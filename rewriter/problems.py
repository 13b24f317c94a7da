"""The problems the learned rewriter knows, by command-line name.

Imports are lazy so ``rewriter solve`` on a job shop never loads the MRT package and vice versa.
"""

from __future__ import annotations

from .core.problem import RewriteProblem

PROBLEMS = ("jssp", "mrt")


def make_problem(name: str, moves: str = "n5", resources: int | None = None) -> RewriteProblem:
    """The :class:`RewriteProblem` called ``name`` (``jssp`` or ``mrt``)."""
    if name == "jssp":
        from .jssp.rewrite import JobShopProblem
        return JobShopProblem(moves=moves)
    if name == "mrt":
        from .mrt.problem import MrtProblem
        return MrtProblem(resources=resources or 20)
    raise ValueError(f"unknown problem {name!r}; expected one of: {', '.join(PROBLEMS)}")
