"""Seeded random orders-and-operators instances, feasible by construction.

``generate(n, m, layout=..., seed=...)`` draws, from ``numpy.random.default_rng(seed)``, in this
order (so the same arguments give the same instance on every run and machine):

- orders in the square ``[0, AREA]^2`` (AREA = 100): ``uniform``, or ``clustered``: around
  ``round(sqrt(n) / 3)`` (at least 1) centres drawn uniformly, Gaussian with standard deviation
  ``AREA / 20`` and clipped to the square; coordinates are rounded to 0.01;
- service hours uniform in [0.5, 3], rounded to 0.01;
- operators' starts uniform in the square (both layouts), rounded to 0.01;
- which operators are already active: ``ceil(m / 2)`` of them, chosen at random;
- each operator's capacity factor, uniform in [1.2, 1.8].

Travel is Euclidean over ``speed = 50``: a leg across half the square takes about an hour, the
diagonal 2.8 h. ``alpha = 1`` and ``beta = 2 x`` the mean service hours (rounded to 0.01): an
activation costs about two orders' worth of makespan, enough for activating to be a real choice.

Capacities are set from a *witness*, a feasible solution built here: the orders in boustrophedon
order (vertical strips, up one and down the next), cut into ``m`` consecutive chunks of about
equal work (service plus the legs along that order); the operators sorted along the same curve
get the chunks in turn. Operator ``k``'s capacity is ``max(factor_k x fair, witness_k)`` rounded
up to 0.01, where ``witness_k`` is its time on its chunk (start leg included) and ``fair`` the
witness's total time over ``m``. So every instance is feasible (the witness fits), total
capacity is about 1.5 x a reasonable total work, and with half the operators idle the active
ones alone cannot do everything: capacity binds and activations are worth paying for. No
working-day cap is applied: with 100,000 orders and 5 operators any cap would make the
instance infeasible, and the capacity scale follows the work per operator instead.

No n x n (or n x m) matrix is ever built: 100,000 orders generate in well under a second.

Names: ``crew_u{n}x{m}_s{seed}`` (uniform) and ``crew_c{n}x{m}_s{seed}`` (clustered), e.g.
``crew_u200x30_s0``, ``crew_c1000x100_s3``; :func:`instance_from_name` regenerates them.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import InputError
from .instance import CrewInstance

__all__ = ["generate", "instance_from_name", "instance_name", "witness_routes", "NAME",
           "LAYOUTS", "AREA", "SPEED", "HOURS", "CAPACITY_FACTOR", "MAX_ORDERS", "MAX_OPERATORS"]

AREA = 100.0
SPEED = 50.0
HOURS = (0.5, 3.0)
CAPACITY_FACTOR = (1.2, 1.8)
CLUSTER_SPREAD = AREA / 20
LAYOUTS = {"uniform": "u", "clustered": "c"}
MAX_ORDERS = 100_000
MAX_OPERATORS = 10_000
#: a generated name; the sizes and the seed are written without leading zeros (one name per instance)
NAME = re.compile(r"crew_([uc])([1-9][0-9]*)x([1-9][0-9]*)_s(0|[1-9][0-9]*)")
_CENT = 100  # coordinates, hours, capacities and beta are multiples of 1 / _CENT


def _count(value, what: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high:
        raise InputError(f"{what}: expected an integer from 1 to {high:,}, found {value!r}")
    return int(value)


def instance_name(n_orders: int, n_operators: int, layout: str = "uniform", seed: int = 0) -> str:
    """The generated name of these arguments (``crew_u200x30_s0``)."""
    return f"crew_{LAYOUTS[layout]}{n_orders}x{n_operators}_s{seed}"


def generate(n_orders: int, n_operators: int, *, layout: str = "uniform", seed: int = 0,
             name: str | None = None, speed: float = SPEED, alpha: float = 1.0,
             beta: float | None = None) -> CrewInstance:
    """A random feasible instance (module docstring); ``beta`` None: 2 x the mean hours."""
    n = _count(n_orders, "n_orders", MAX_ORDERS)
    m = _count(n_operators, "n_operators", MAX_OPERATORS)
    if layout not in LAYOUTS:
        raise InputError(f"layout: expected one of {', '.join(LAYOUTS)}, found {layout!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected an integer >= 0, found {seed!r}")
    rng = np.random.default_rng(int(seed))
    orders = _order_positions(rng, n, layout)
    hours = _cents(rng.uniform(*HOURS, size=n))
    operators = _cents(rng.uniform(0.0, AREA, size=(m, 2)))
    active = np.zeros(m, dtype=bool)
    active[rng.choice(m, size=(m + 1) // 2, replace=False)] = True
    factor = rng.uniform(*CAPACITY_FACTOR, size=m)
    routes = witness_routes(orders, hours, operators, speed)
    times = np.array([_route_time(orders, hours, operators[k], speed, route)
                      for k, route in enumerate(routes)])
    fair = times.sum() / m
    capacity = np.ceil(np.maximum(factor * fair, times) * _CENT) / _CENT
    if beta is None:
        beta = round(2.0 * float(hours.mean()), 2)
    name = name or instance_name(n, m, layout, int(seed))
    metadata = {"generator": "crew", "layout": layout, "seed": int(seed)}
    return CrewInstance(name, orders, hours, operators, capacity, active, speed=speed,
                        alpha=alpha, beta=beta, metadata=metadata)


def _cents(values: np.ndarray) -> np.ndarray:
    return np.round(values * _CENT) / _CENT


def _order_positions(rng: np.random.Generator, n: int, layout: str) -> np.ndarray:
    if layout == "uniform":
        return _cents(rng.uniform(0.0, AREA, size=(n, 2)))
    centres = rng.uniform(0.0, AREA, size=(max(1, round(math.sqrt(n) / 3)), 2))
    which = rng.integers(0, centres.shape[0], size=n)
    points = centres[which] + rng.normal(0.0, CLUSTER_SPREAD, size=(n, 2))
    return _cents(np.clip(points, 0.0, AREA))


def _curve_order(points: np.ndarray, strips: int) -> np.ndarray:
    """Indices of ``points`` along a boustrophedon: vertical strips left to right, y rising in
    even strips and falling in odd ones."""
    strip = np.minimum((points[:, 0] / AREA * strips).astype(np.int64), strips - 1)
    y = np.where(strip % 2 == 0, points[:, 1], -points[:, 1])
    return np.lexsort((points[:, 0], y, strip))


def witness_routes(orders: np.ndarray, hours: np.ndarray, operators: np.ndarray,
                   speed: float) -> list[np.ndarray]:
    """A solution serving every order once (module docstring): consecutive chunks of about equal
    work along the orders' boustrophedon, given in turn to the operators sorted along it."""
    n, m = orders.shape[0], operators.shape[0]
    path = _curve_order(orders, max(1, math.ceil(math.sqrt(n / 2))))
    steps = np.diff(orders[path], axis=0)
    legs = np.concatenate([[0.0], np.hypot(steps[:, 0], steps[:, 1]) / speed])
    done = np.cumsum(hours[path] + legs)  # work up to and including each order along the path
    # order p goes to chunk floor(m * work before its middle / total), so chunks are contiguous
    middle = done - (hours[path] + legs) / 2
    chunk = np.minimum((middle / max(done[-1], 1e-300) * m).astype(np.int64), m - 1)
    by_curve = _curve_order(operators, max(1, math.ceil(math.sqrt(m / 2))))
    routes = [np.zeros(0, np.int64) for _ in range(m)]
    bounds = np.searchsorted(chunk, np.arange(m + 1))
    for rank, k in enumerate(by_curve.tolist()):
        routes[k] = path[bounds[rank]:bounds[rank + 1]].astype(np.int64)
    return routes


def _route_time(orders, hours, start, speed: float, route: np.ndarray) -> float:
    if route.size == 0:
        return 0.0
    first = orders[route[0]] - start
    steps = np.diff(orders[route], axis=0)
    return float(np.hypot(first[0], first[1]) / speed + np.sum(np.hypot(steps[:, 0], steps[:, 1])) / speed
                 + np.sum(hours[route]))


def instance_from_name(text: str) -> CrewInstance | None:
    """The generated instance of a name such as ``crew_u200x30_s0``; None for any other text
    (an InputError for a generated name whose sizes are out of range)."""
    match = NAME.fullmatch(str(text))
    if match is None:
        return None
    layout = "uniform" if match.group(1) == "u" else "clustered"
    return generate(int(match.group(2)), int(match.group(3)), layout=layout,
                    seed=int(match.group(4)))
