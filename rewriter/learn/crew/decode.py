"""Routes from the crew network's scores: greedy construction with hard capacity masking.

Every step takes, among the feasible (operator, order) pairs, the one with the highest score
``log sigmoid(assignment logit) + [the operator has no route yet] log sigmoid(activation
logit)`` and appends the order to that operator's route (travel from the route's current end;
``placement="end"``, the design's decoder) or, with ``placement="cheapest"``, inserts it where
in that route it adds the least time (appending fits, so a cheaper position fits too). A pair
is feasible when the operator's used hours plus the travel from its route end and the order's
hours stay within its capacity.

Cost: the scores live in an (m, n) matrix. The assignment head's first layer is a sum of an
operator part, an order part and a pair-feature part (:class:`~.model.CrewNet`), so after an
assignment only the chosen operator's row changes (its route end, load and activation moved):
one row of ``n`` pair features and an ``n x H'`` product. The encoder is re-run on the partial
routes ``refreshes`` times in all (evenly spaced: every ``ceil(n / refreshes)`` assignments, the
first on the empty routes), which rebuilds the graph (neighbours from the current route ends)
and all scores; between refreshes the embeddings are those of the last refresh. The default, 4,
keeps 1,000 orders well under 2 s on one core while the embeddings see the routes grow.

When no feasible pair is left for the orders still open, the order that can be inserted most
cheaply anywhere in any route (least added time, an activation priced at beta / alpha hours)
is inserted there. If none fits anywhere, the routes so far are abandoned for the best of the
construction rules (:mod:`rewriter.crew.dispatching`), and :class:`~rewriter.errors.NoSchedule`
is raised only when every rule is stuck as well. Whatever is returned passes the validator.

Activation gate (``activation_threshold``): the activation head's probability that an idle
operator serves some order is read at every encoding; with a threshold ``tau``, an idle operator
whose route is still empty may be chosen only while that probability is at least ``tau`` (the
fallback insertion above may still call one in when nothing else fits). Without it (None) the
head enters only through the score, and the shipped crew2 network called in 155 operators at
10,000 orders where the insertion rule calls 90: the probabilities of idle operators are high
at sizes it never saw, and an idle operator's empty route is often the nearest end to an open
order. The threshold is calibrated on validation instances (:mod:`.calibrate`) and kept in the
model's card.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ...crew.dispatching import RULES, build
from ...crew.instance import CrewInstance
from ...crew.schedule import TOLERANCE, CrewSchedule, route_time
from ...errors import NoSchedule
from .graph import NEIGHBOURS, CrewState, build_graph, pair_features, travel_from_ends
from .model import CrewNet, batch_graphs

__all__ = ["decode", "Decoded", "REFRESHES", "PLACEMENTS"]

REFRESHES = 4
PLACEMENTS = ("end", "cheapest")
_SLACK = TOLERANCE / 2  # as the rules: a recomputed route time never crosses the tolerance


@dataclass
class Decoded:
    """The routes, and how they were made: ``fallbacks`` insertions outside the network's
    choice, ``rule`` the construction rule used instead of the network (None: the network's)."""

    schedule: CrewSchedule
    fallbacks: int
    rule: str | None
    encodings: int


class _Scorer:
    """The network's parts for one encoding, as numpy arrays."""

    def __init__(self, net: CrewNet, instance: CrewInstance, state: CrewState, k: int,
                 threshold: float | None = None):
        batch = batch_graphs([build_graph(instance, state, k)])
        with torch.no_grad():
            operators, orders = net.encode(batch)
            activation = net.activation_logits(batch, operators, orders)
            first_op, first_order = net.assignment_parts(operators, orders)
        self.first_op = first_op.numpy()
        self.first_order = first_order.numpy()
        self.log_active = torch.nn.functional.logsigmoid(activation).double().numpy()
        # idle operators the gate keeps out while their route is empty
        self.barred = (np.zeros(instance.n_operators, bool) if threshold is None else
                       ~instance.active & (self.log_active < math.log(max(threshold, 1e-300))))
        self.pair = net.pair_features.weight.detach().numpy().T   # (3, H')
        self.out = net.pair_out.weight.detach().numpy()[0]        # (H',)
        self.bias = float(net.pair_out.bias.detach())

    def row(self, instance: CrewInstance, state: CrewState, k: int) -> np.ndarray:
        """Operator ``k``'s score of every order (-inf where infeasible or placed); only the
        open orders are scored, in float32."""
        out = np.full(instance.n_orders, -np.inf)
        if state.end[k] < 0 and self.barred[k]:
            return out
        orders = np.flatnonzero(~state.assigned)
        travel = travel_from_ends(instance, state.end, [k], orders)[0]
        pair = pair_features(instance, state, np.full(orders.size, k), orders, travel)
        hidden = np.maximum(self.first_op[k] + self.first_order[orders] + pair @ self.pair, 0.0)
        logit = (hidden @ self.out + self.bias).astype(np.float64)
        score = -np.logaddexp(0.0, -logit)  # log sigmoid
        if state.end[k] < 0:
            score = score + self.log_active[k]
        feasible = state.used[k] + travel + instance.hours[orders] <= instance.capacity[k] + _SLACK
        out[orders] = np.where(feasible, score, -np.inf)
        return out


def decode(instance: CrewInstance, net: CrewNet, *, refreshes: int = REFRESHES,
           k: int = NEIGHBOURS, placement: str = "end",
           activation_threshold: float | None = None,
           deadline: float | None = None) -> Decoded | None:
    """The network's routes for ``instance`` (module docstring); ``net`` in eval mode.
    ``placement``: "end" appends the chosen order to the operator's route (the design's
    decoder); "cheapest" inserts it where it adds the least time in that route (the pair is
    still chosen by the scores, with travel from the route's end). ``activation_threshold``:
    the activation gate's ``tau`` in [0, 1] (module docstring), None for no gate.
    ``deadline``: a :func:`time.perf_counter` time; None is returned when the routes are not
    complete by then (a solve's time limit is kept: the decode costs a row of ``n`` scores per
    step, about 100 s at 10,000 orders), checked before every step."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement: expected one of {', '.join(PLACEMENTS)}, found {placement!r}")
    if activation_threshold is not None and not 0.0 <= activation_threshold <= 1.0:
        raise ValueError(f"activation_threshold: expected a number in [0, 1] or None, found "
                         f"{activation_threshold!r}")
    instance.check_feasible()
    n, m = instance.n_orders, instance.n_operators
    state = CrewState.empty(instance)
    routes: list[list[int]] = [[] for _ in range(m)]
    every = math.ceil(n / max(1, refreshes))
    fallbacks = encodings = 0
    since = every  # encode before the first step
    scores = np.empty((m, n))
    # each row's best column and score: the first maximum of the matrix in row-major order is
    # the first maximum of the row maxima, at its row's first maximum (np.argmax over the whole
    # matrix, without reading m x n numbers per step)
    row_col = np.zeros(m, np.int64)
    row_best = np.full(m, -np.inf)

    def refresh(rows):
        row_col[rows] = np.argmax(scores[rows], axis=1)
        row_best[rows] = scores[rows, row_col[rows]]

    for _ in range(n):
        if deadline is not None and time.perf_counter() >= deadline:
            return None
        if since >= every:
            scorer = _Scorer(net, instance, state, k, activation_threshold)
            encodings += 1
            since = 0
            for kk in range(m):
                scores[kk] = scorer.row(instance, state, kk)
            refresh(np.arange(m))
        kk = int(np.argmax(row_best))
        i = int(row_col[kk])
        if np.isfinite(scores[kk, i]) and placement == "cheapest":
            routes[kk].insert(_cheapest_position(instance, kk, routes[kk], i), i)
            state.used[kk] = route_time(instance, kk, routes[kk])
        elif np.isfinite(scores[kk, i]):
            routes[kk].append(i)
            state.used[kk] += travel_from_ends(instance, state.end, [kk], [i])[0, 0] \
                + instance.hours[i]
        else:
            placed = _cheapest_insertion(instance, state, routes)
            if placed is None:
                return _by_rules(instance, fallbacks, encodings)
            kk, i = placed
            fallbacks += 1
            state.used[kk] = route_time(instance, kk, routes[kk])
        state.end[kk] = routes[kk][-1]
        state.assigned[i] = True
        scores[:, i] = -np.inf
        scores[kk] = scorer.row(instance, state, kk)
        refresh(np.union1d(np.flatnonzero(row_col == i), [kk]))
        since += 1
    schedule = CrewSchedule(instance, routes)
    return Decoded(schedule, fallbacks, None, encodings)


def _cheapest_position(instance: CrewInstance, k: int, route: list[int], order: int) -> int:
    """The position in ``route`` where ``order`` adds the least time (the end on a tie; the
    end always fits, so a cheaper position fits too)."""
    if not route:
        return 0
    path = np.asarray(route, np.int64)
    into = np.concatenate([[instance.travel_from_start(k, order)],
                           instance.travel_between(path, order)])
    out = np.concatenate([instance.travel_between(order, path), [0.0]])
    before = np.concatenate([[instance.travel_from_start(k, route[0])],
                             instance.travel_between(path[:-1], path[1:]), [0.0]])
    added = into + out - before
    return int(len(route) - np.argmin(added[::-1]))


def _cheapest_insertion(instance: CrewInstance, state: CrewState,
                        routes: list[list[int]]) -> tuple[int, int] | None:
    """Insert the open order that fits most cheaply anywhere (added time, an activation at
    beta / alpha hours); (operator, order), or None when no open order fits anywhere."""
    open_orders = np.flatnonzero(~state.assigned)
    price = instance.beta / instance.alpha if instance.alpha > 0 else instance.beta * 1e6
    best = None  # (cost, operator, position, order)
    least = _least_added(instance, open_orders)
    for k, route in enumerate(routes):
        if state.used[k] + least > instance.capacity[k] + TOLERANCE:
            continue  # no open order fits anywhere in this route (see _least_added)
        extra = price if (not instance.active[k] and not route) else 0.0
        added = _insertion_times(instance, k, route, open_orders)  # (positions, open orders)
        fits = state.used[k] + added <= instance.capacity[k] + _SLACK
        if fits.any():  # the first (position, order) of least added time, as a loop over both
            position, j = divmod(int(np.argmin(np.where(fits, added, np.inf))), open_orders.size)
            cost = float(added[position, j]) + extra
            if best is None or cost < best[0]:
                best = (cost, k, position, int(open_orders[j]))
    if best is None:
        return None
    _, k, position, order = best
    routes[k].insert(position, order)
    if route_time(instance, k, routes[k]) > instance.capacity[k] + TOLERANCE:  # rounding
        routes[k].pop(position)
        return None
    return k, order


def _least_added(instance: CrewInstance, open_orders: np.ndarray) -> float:
    """A lower bound of the time any insertion of an open order adds: with travel by distance
    (no explicit matrices) the travel into the order and on from it is at least the leg it
    replaces (the triangle inequality), so an insertion adds at least the order's hours. A
    route whose slack is below the least of them takes no open order, and skipping it changes
    no choice: late in a large decode most routes are such, and pricing them was most of the
    decode (33 of 46 s at 10,000 orders). With explicit matrices nothing is skipped (-inf)."""
    if instance.start_travel is not None or instance.order_travel is not None:
        return -math.inf
    return float(instance.hours[open_orders].min())


def _insertion_times(instance: CrewInstance, k: int, route: list[int],
                     orders: np.ndarray) -> np.ndarray:
    """(len(route) + 1, len(orders)): the time inserting each of ``orders`` at each position of
    operator ``k``'s ``route`` adds (travel in, service, travel on to the next order minus the
    leg it replaces), summed in the order a position-by-position loop would sum it."""
    path = np.asarray(route, np.int64)
    into = np.concatenate([instance.travel_from_start(k, orders)[None, :],
                           instance.travel_between(path[:, None], orders[None, :])
                           .reshape(path.size, orders.size)])
    added = into + instance.hours[orders]
    if path.size:
        before = np.concatenate([[instance.travel_from_start(k, path[0])],
                                 instance.travel_between(path[:-1], path[1:])])
        onward = instance.travel_between(orders[None, :], path[:, None]).reshape(path.size,
                                                                                 orders.size)
        added[:-1] = added[:-1] + onward - before[:, None]
    return added


def _by_rules(instance: CrewInstance, fallbacks: int, encodings: int) -> Decoded:
    """The best construction rule's routes, when the network's partial routes are stuck."""
    best, name = None, None
    for rule in RULES:
        try:
            schedule = build(rule, instance)
        except NoSchedule:
            continue
        if best is None or schedule.objective < best.objective:
            best, name = schedule, rule
    if best is None:
        raise NoSchedule(f"{instance.name}: the network's routes left orders without room and "
                         "every construction rule is stuck too; the capacities are too tight "
                         "for greedy construction")
    return Decoded(best, fallbacks, name, encodings)
