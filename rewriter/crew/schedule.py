"""A solution of the orders-and-operators problem: one route per operator, and what it costs.

``routes[k]`` lists the orders operator ``k`` serves, in the order served (empty: the operator
stays put). Operator ``k``'s *time* is its travel from its start to the first order, then between
consecutive orders, plus the service hours of its orders (no return trip). The makespan is the
largest time, ``activated`` counts the idle operators (``active`` false) with a non-empty route,
and the objective is ``alpha * makespan + beta * activated``.

:class:`CrewSchedule` computes these with numpy; :mod:`rewriter.crew.validate` checks a solution
independently, in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .instance import CrewInstance

__all__ = ["CrewSchedule", "route_time"]

#: capacity is kept up to this slack: travel times are sums of square roots
TOLERANCE = 1e-6


def route_time(instance: CrewInstance, operator: int, route) -> float:
    """Travel plus service hours of ``operator`` serving ``route`` (order indices, in order)."""
    route = np.asarray(route, dtype=np.int64)
    if route.size == 0:
        return 0.0
    legs = instance.travel_from_start(operator, route[0])
    if route.size > 1:
        legs = legs + np.sum(instance.travel_between(route[:-1], route[1:]))
    return float(legs + np.sum(instance.hours[route]))


@dataclass(eq=False)
class CrewSchedule:
    """Routes of ``instance``'s operators (a list of int64 arrays, one per operator)."""

    instance: CrewInstance
    routes: list

    def __post_init__(self) -> None:
        self.routes = [np.asarray(r, dtype=np.int64).reshape(-1) for r in self.routes]

    @cached_property
    def times(self) -> np.ndarray:
        """(m,) each operator's travel plus service hours."""
        return np.array([route_time(self.instance, k, r) for k, r in enumerate(self.routes)],
                        dtype=np.float64)

    @property
    def makespan(self) -> float:
        return float(self.times.max())

    @property
    def used(self) -> np.ndarray:
        """(m,) bool: the operator serves at least one order."""
        return np.array([r.size > 0 for r in self.routes], dtype=bool)

    @property
    def activated(self) -> int:
        return int(np.sum(self.used & ~self.instance.active))

    @property
    def objective(self) -> float:
        return self.instance.alpha * self.makespan + self.instance.beta * self.activated

    def assignment(self) -> np.ndarray:
        """(n,) the operator serving each order, -1 for an order no route serves."""
        out = np.full(self.instance.n_orders, -1, np.int64)
        for k, route in enumerate(self.routes):
            out[route] = k
        return out

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """The routes as numba kernels take them: the orders of all routes one after the other,
        and ``offsets`` (m + 1,) so that route ``k`` is ``orders[offsets[k]:offsets[k + 1]]``."""
        sizes = np.array([r.size for r in self.routes], np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        orders = (np.concatenate(self.routes) if self.routes else np.zeros(0)).astype(np.int64)
        return orders, offsets

    @classmethod
    def from_flat(cls, instance: CrewInstance, orders, offsets) -> "CrewSchedule":
        return cls(instance, [np.asarray(orders[offsets[k]:offsets[k + 1]], np.int64).copy()
                              for k in range(len(offsets) - 1)])

    def copy(self) -> "CrewSchedule":
        return CrewSchedule(self.instance, [r.copy() for r in self.routes])

    def to_dict(self) -> dict:
        """The solution JSON's values: routes, objective, makespan, activated, per-operator times."""
        return {"instance": self.instance.name, "problem": "crew",
                "objective": round(self.objective, 9), "makespan": round(self.makespan, 9),
                "activated": self.activated, "alpha": self.instance.alpha,
                "beta": self.instance.beta,
                "routes": [r.tolist() for r in self.routes],
                "times": [round(float(t), 9) for t in self.times]}
