"""An orders-and-operators instance: orders to serve, operators who travel to them.

Order ``i`` stands at ``orders[i] = (x, y)`` and takes ``hours[i]`` of service. Operator ``k``
starts at ``operators[k] = (x, y)``, may work ``capacity[k]`` hours in all (travel plus service)
and is ``active[k]`` already, or idle: an idle operator who is given orders is *activated*, which
costs ``beta`` each. A solution gives every operator a route, a sequence of orders (no return
trip); its objective is ``alpha * makespan + beta * activated`` with makespan the longest
operator's time.

Travel time is the Euclidean distance over ``speed``, unless the instance gives explicit
matrices: ``start_travel[k, i]`` (operator ``k``'s start to order ``i``) and ``order_travel[i, j]``
(order ``i`` to order ``j``). Either may be given alone; the other stays Euclidean. Explicit
matrices cost n^2 floats, so large instances (10,000 orders) use coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError

__all__ = ["CrewInstance", "EMPTY_TRAVEL"]

#: the stand-in for a travel matrix that is not given (numba kernels take arrays, never None)
EMPTY_TRAVEL = np.zeros((0, 0), np.float64)
_MAX_ABS = 1e12  # far beyond any real distance or hour count; keeps sums exact enough in float64


@dataclass(eq=False)
class CrewInstance:
    """Orders (n, 2) + hours (n,); operators (m, 2) + capacity (m,) + active (m,); float64."""

    name: str
    orders: np.ndarray
    hours: np.ndarray
    operators: np.ndarray
    capacity: np.ndarray
    active: np.ndarray
    speed: float = 1.0
    alpha: float = 1.0
    beta: float = 0.0
    start_travel: np.ndarray | None = None
    order_travel: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"instance name must be a non-empty string, found {self.name!r}")
        self.orders = _float_array(self.orders, "orders", (None, 2))
        self.hours = _float_array(self.hours, "hours", (None,))
        self.operators = _float_array(self.operators, "operators", (None, 2))
        self.capacity = _float_array(self.capacity, "capacity", (None,))
        self.active = _bool_array(self.active, "active")
        n, m = self.orders.shape[0], self.operators.shape[0]
        if n < 1:
            raise InputError("an instance needs at least one order")
        if m < 1:
            raise InputError("an instance needs at least one operator")
        if self.hours.shape[0] != n:
            raise InputError(f"hours: expected one value per order ({n}), found {self.hours.shape[0]}")
        for name, arr in (("capacity", self.capacity), ("active", self.active)):
            if arr.shape[0] != m:
                raise InputError(f"{name}: expected one value per operator ({m}), found {arr.shape[0]}")
        _check_non_negative(self.hours, "order", "hours")
        _check_non_negative(self.capacity, "operator", "capacity")
        self.speed = _positive(self.speed, "speed")
        self.alpha = _non_negative(self.alpha, "alpha")
        self.beta = _non_negative(self.beta, "beta")
        if self.start_travel is not None:
            self.start_travel = _float_array(self.start_travel, "travel.operator_order", (m, n))
            _check_matrix(self.start_travel, "travel.operator_order")
        if self.order_travel is not None:
            self.order_travel = _float_array(self.order_travel, "travel.order_order", (n, n))
            _check_matrix(self.order_travel, "travel.order_order")

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def n_orders(self) -> int:
        return int(self.orders.shape[0])

    @property
    def n_operators(self) -> int:
        return int(self.operators.shape[0])

    # ---- travel ------------------------------------------------------------------------------
    def travel_from_start(self, operator: int, order) -> np.ndarray | float:
        """Travel time from ``operator``'s start to ``order`` (an index or an index array)."""
        if self.start_travel is not None:
            return self.start_travel[operator, order]
        delta = self.orders[order] - self.operators[operator]
        return np.hypot(delta[..., 0], delta[..., 1]) / self.speed

    def travel_between(self, origin, destination) -> np.ndarray | float:
        """Travel time from order ``origin`` to order ``destination`` (indices or index arrays)."""
        if self.order_travel is not None:
            return self.order_travel[origin, destination]
        delta = self.orders[destination] - self.orders[origin]
        return np.hypot(delta[..., 0], delta[..., 1]) / self.speed

    def travel_arrays(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
        """What numba kernels take to price a leg: order and operator coordinates, speed, and the
        explicit matrices (:data:`EMPTY_TRAVEL` where the instance gives none)."""
        start = EMPTY_TRAVEL if self.start_travel is None else self.start_travel
        between = EMPTY_TRAVEL if self.order_travel is None else self.order_travel
        return self.orders, self.operators, float(self.speed), start, between

    @cached_property
    def reachable(self) -> np.ndarray:
        """(n,) bool: some operator can reach the order and serve it within its capacity (an
        order no operator reaches makes the instance infeasible)."""
        ok = np.zeros(self.n_orders, bool)
        for k in np.argsort(-self.capacity, kind="stable"):  # the roomiest first: fewer left
            left = np.flatnonzero(~ok)
            if left.size == 0:
                break
            ok[left] = self.travel_from_start(int(k), left) + self.hours[left] <= self.capacity[k] + 1e-9
        return ok

    def check_feasible(self) -> None:
        """Raise an :class:`InputError` naming the first order no operator can serve."""
        if not self.reachable.all():
            i = int(np.argmin(self.reachable))
            raise InputError(f"{self.name}: order {i} is out of every operator's reach (travel "
                             f"from the start plus its {self.hours[i]:g} hours exceeds each "
                             f"operator's capacity); the instance has no feasible solution")


def _float_array(value, name: str, shape: tuple) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected numbers ({exc})") from None
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        want = " x ".join("any" if s is None else str(s) for s in shape)
        raise InputError(f"{name}: expected an array of shape {want}, found {arr.shape}")
    bad = ~np.isfinite(arr) | (np.abs(arr) > _MAX_ABS)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), arr.shape)
        where = "".join(f"[{i}]" for i in index)
        raise InputError(f"{name}{where}: expected a finite number of absolute value at most "
                         f"{_MAX_ABS:g}, found {arr[index]}")
    return np.ascontiguousarray(arr)


def _bool_array(value, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a list of true/false, found shape {arr.shape}")
    if arr.dtype != bool:
        if arr.size and not all(v in (0, 1) and not isinstance(v, float) for v in arr.tolist()):
            raise InputError(f"{name}: expected true or false per operator, found {arr.tolist()[:5]}")
        arr = arr.astype(bool)
    return np.ascontiguousarray(arr)


def _check_non_negative(arr: np.ndarray, what: str, name: str) -> None:
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise InputError(f"{what} {i}: expected {name} >= 0, found {arr[i]:g}")


def _check_matrix(arr: np.ndarray, name: str) -> None:
    if (arr < 0).any():
        i, j = (int(x) for x in np.argwhere(arr < 0)[0])
        raise InputError(f"{name}[{i}][{j}]: expected a travel time >= 0, found {arr[i, j]:g}")


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name}: expected a number, found {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"{name}: expected a finite number, found {value}")
    return value


def _positive(value, name: str) -> float:
    value = _number(value, name)
    if value <= 0:
        raise InputError(f"{name}: expected a number > 0, found {value:g}")
    return value


def _non_negative(value, name: str) -> float:
    value = _number(value, name)
    if value < 0:
        raise InputError(f"{name}: expected a number >= 0, found {value:g}")
    return value
