"""Local search for crew routes: tabu search or greedy descent over the moves of
:mod:`rewriter.crew.kernels`, in numba, run by the core loop (:func:`rewriter.core.loop.run`).

**Neighbourhood of a step.** The makespan is the longest route's time, so only moves that
touch that route can lower it; a full scan of all O(n^2) moves would be far too slow at 10,000
orders. The *candidates* of a step are:

* every order of the longest route (a window of ``max_candidates`` consecutive ones, at a
  random place, when it holds more: a step stays short whatever the start);
* when ``beta > 0``, the orders of the shortest activated route (idle operator) if it holds at
  most ``release_max`` orders: the relocations that empty it one by one are how an operator is
  *released* (the last one saves ``beta``).

Before each step a *sweep* polishes the next ``sweep`` orders in index order, cyclically
(default: twice the step's candidates from the longest route, about two thirds of the work;
once a whole pass over the n orders has moved nothing, one order a step): each one's best move
(same neighbourhood, no tabu) is applied when it lowers the objective, or keeps it and lowers
the summed route times. The tabu step alone touches only the longest route, which at 10,000
orders and 500 routes would leave every other route as the start made it; the sweep shortens
them all in the background, so the next longest route is already tidy when its turn comes, and
it never makes the objective worse.

For a candidate ``v`` the moves priced are, for each of its ``neighbours`` nearest orders ``u``
(a precomputed list: a uniform grid over the coordinates, or the rows of the explicit
``order_travel`` matrix by ``t(i, j) + t(j, i)``) and ``random_targets`` random orders ``u``:
relocate ``v`` after / before ``u``, swap ``v`` and ``u``, the two 2-opt reversals that make
``v`` and ``u`` adjacent when they share a route, and or-opt of the 2 and 3 orders starting at
``v`` after / before ``u``, both orientations; for each of the ``operator_neighbours`` operators
nearest to ``v``: relocating ``v`` (or its 2-3 order segments) to the front of that operator's
route (an *activation* when it is idle and empty); and the 2-opt reversals of ``v``'s route's
prefix and suffix at ``v``. Every move is priced in O(1) (kernels module docstring).

**Choice.** Moves are ranked by (new objective, change of the summed route times): on a plateau
of the makespan the search prefers moves that shorten the routes in total.

* ``greedy``: best improvement (ties at random); stops (status ``local_optimum``) when no move
  of the step's candidates lowers the objective, or keeps it and lowers the total time.
* ``tabu``: the best admissible move every step. A moved order (both of a swap, both ends of a
  2-opt, a whole or-opt segment) may not move for ``t`` steps, ``t`` uniform in
  ``[tenure_min, tenure_max]``, and may not re-enter the route it left for ``2 t`` steps;
  aspiration: a tabu move that beats the best objective is allowed; when every move is tabu a
  random one is taken. After ``stall`` steps without a new best the search restarts from the
  best schedule perturbed by ``perturb`` random relocations (or swaps) of longest-route orders.

The search keeps the best schedule (``best()``) and is deterministic for a seed: it draws from
its own xorshift generator, never from numba's shared one. Status ``optimal`` when the
objective reaches a lower bound (``alpha`` times the largest of ``sum(hours) / m`` and, with
Euclidean travel only, ``max_i min_k (travel from k's start to i + hours[i])``; up to a relative
1e-9), ``stuck`` when
no move is valid at all (one operator and one order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..core.loop import SearchOutcome, Stepper, run
from ..errors import InputError
from ..seeding import check_seed
from . import kernels as K
from .instance import CrewInstance
from .schedule import TOLERANCE, CrewSchedule

SEARCH_POLICIES = ("tabu", "greedy")
STATUS = {0: None, 1: "local_optimum", 2: "optimal", 3: "stuck"}

# move kinds, the first entry of a move row (kind, x1 .. x5)
RELOCATE, SWAP, TWO_OPT, OR_OPT = 0, 1, 2, 3


@dataclass
class CrewTabuSettings:
    """Search parameters (module docstring); the neighbour counts are capped by the instance."""

    tenure_min: int = 3
    tenure_max: int = 10
    stall: int = 400
    perturb: int = 3
    neighbours: int = 30
    operator_neighbours: int = 10
    random_targets: int = 2
    sweep: int | None = None  # orders polished a step; None: twice the longest route's candidates
    release_max: int = 3
    max_candidates: int = 32

    def resolved(self) -> np.ndarray:
        if not 1 <= self.tenure_min <= self.tenure_max:
            raise InputError(f"tabu tenure must satisfy 1 <= min <= max, got "
                             f"{self.tenure_min}..{self.tenure_max}")
        if self.stall < 1 or self.perturb < 0:
            raise InputError("tabu stall must be >= 1 and perturb >= 0")
        sweep = -1 if self.sweep is None else self.sweep
        if min(self.neighbours, self.operator_neighbours, self.random_targets, sweep + 1,
               self.release_max) < 0 or self.max_candidates < 1:
            raise InputError("neighbour counts, random targets, sweep and release_max must be "
                             ">= 0, max_candidates >= 1")
        return np.array([self.tenure_min, self.tenure_max, self.stall, self.perturb,
                         self.random_targets, sweep, self.release_max, self.max_candidates],
                        np.int64)


def neighbour_lists(instance: CrewInstance, neighbours: int, operators: int) -> tuple:
    """(n, k) nearest orders of each order and (n, k_op) nearest operators (by start leg), both
    nearest first and -1 padded; no n x n matrix unless the instance gives one."""
    n, m = instance.n_orders, instance.n_operators
    near = np.full((n, max(0, min(neighbours, n - 1))), -1, np.int64)
    if instance.order_travel is not None:
        K.knn_matrix(instance.order_travel + instance.order_travel.T, near)
    else:
        K.knn_grid(instance.orders, near)
    near_ops = np.full((n, max(1, min(operators, m))), -1, np.int64)
    K.nearest_operators(K.instance_tuple(instance), near_ops)
    return near, near_ops


def lower_bound(instance: CrewInstance) -> float:
    """A bound no schedule's objective goes below (module docstring)."""
    bound = float(instance.hours.sum()) / instance.n_operators
    if instance.start_travel is None and instance.order_travel is None:
        reach = np.full(instance.n_orders, np.inf)
        for k in range(instance.n_operators):
            reach = np.minimum(reach, instance.travel_from_start(k, np.arange(instance.n_orders)))
        bound = max(bound, float((reach + instance.hours).max()))
    return instance.alpha * bound


# ---- the kernel --------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _offer(obj, dtot, tabu_move, kind, x1, x2, x3, x4, x5, best, pick, sel, cnt, rng):
    """Consider one priced move: keep it in ``pick[0]`` if it is the best admissible one so far
    (``sel`` = [objective, total change]; ``cnt`` = [ties, have one, tabu seen, priced]), or in
    ``pick[1]`` as a random tabu fallback."""
    cnt[3] += 1
    if obj == K.INF:
        return
    if tabu_move and not obj < best:
        cnt[2] += 1
        if K.rand_int(rng, cnt[2]) == 0:
            _set(pick[1], kind, x1, x2, x3, x4, x5)
        return
    if obj < sel[0] or (obj == sel[0] and dtot < sel[1]):
        sel[0] = obj
        sel[1] = dtot
        cnt[0] = 1
        cnt[1] = 1
        _set(pick[0], kind, x1, x2, x3, x4, x5)
    elif obj == sel[0] and dtot == sel[1]:
        cnt[0] += 1
        if K.rand_int(rng, cnt[0]) == 0:
            _set(pick[0], kind, x1, x2, x3, x4, x5)


@njit(cache=True, inline="always")
def _set(row, kind, x1, x2, x3, x4, x5):
    row[0] = kind
    row[1] = x1
    row[2] = x2
    row[3] = x3
    row[4] = x4
    row[5] = x5


@njit(cache=True, inline="always")
def _held(v, clock, tabu):
    return clock < tabu[v, 0]


@njit(cache=True, inline="always")
def _barred(v, k, clock, tabu):
    """``v`` may not move, or not into route ``k`` (the one it left)."""
    return clock < tabu[v, 0] or (tabu[v, 1] == k and clock < tabu[v, 2])


@njit(cache=True)
def _relocate(v, k, a, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng):
    obj, d = K.eval_relocate(v, k, a, rs, inst, cfg)
    _offer(obj, d, _barred(v, k, clock, tabu), RELOCATE, v, k, a, 0, 0, best, pick, sel, cnt, rng)


@njit(cache=True)
def _swap(v, u, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng):
    obj, d = K.eval_swap(v, u, rs, inst, cfg)
    route_of = rs[0]
    barred = _barred(v, route_of[u], clock, tabu) or _barred(u, route_of[v], clock, tabu)
    _offer(obj, d, barred, SWAP, v, u, 0, 0, 0, best, pick, sel, cnt, rng)


@njit(cache=True)
def _two_opt(a, b, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng):
    if a < 0 or b < 0 or a == b:
        return
    obj, d = K.eval_two_opt(a, b, rs, inst, cfg)
    barred = _held(a, clock, tabu) or _held(b, clock, tabu)
    _offer(obj, d, barred, TWO_OPT, a, b, 0, 0, 0, best, pick, sel, cnt, rng)


@njit(cache=True)
def _or_opt(v, length, k, c, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng):
    for rev in range(2):
        obj, d = K.eval_or_opt(v, length, k, c, rev == 1, rs, inst, cfg)
        _offer(obj, d, _barred(v, k, clock, tabu), OR_OPT, v, length, k, c, rev, best, pick, sel,
               cnt, rng)


@njit(cache=True)
def _scan_order(v, rs, inst, cfg, near, near_ops, n_random, tabu, clock, best, pick, sel, cnt, rng):
    """Price every move of candidate ``v`` (module docstring)."""
    route_of, prev, nxt, pos, first, last = rs[0], rs[1], rs[2], rs[3], rs[6], rs[7]
    n = route_of.shape[0]
    k1 = route_of[v]
    for j in range(near.shape[1] + n_random):
        u = near[v, j] if j < near.shape[1] else K.rand_int(rng, n)
        if u < 0 or u == v:
            continue
        ku = route_of[u]
        _relocate(v, ku, u, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
        _relocate(v, ku, prev[u], rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
        _swap(v, u, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
        if ku == k1:
            if pos[v] < pos[u]:
                _two_opt(nxt[v], u, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
                _two_opt(v, prev[u], rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
            else:
                _two_opt(nxt[u], v, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
                _two_opt(u, prev[v], rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
        for length in range(2, 4):
            _or_opt(v, length, ku, u, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
            _or_opt(v, length, ku, prev[u], rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
    for j in range(near_ops.shape[1]):
        k = near_ops[v, j]
        if k < 0:
            continue
        _relocate(v, k, -1, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
        for length in range(2, 4):
            _or_opt(v, length, k, -1, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
    if prev[v] >= 0:
        _two_opt(first[k1], v, rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)
    if nxt[v] >= 0:
        _two_opt(v, last[k1], rs, inst, cfg, tabu, clock, best, pick, sel, cnt, rng)


@njit(cache=True)
def _apply(row, rs, inst, tabu, clock, tenure):
    """Apply the move ``row`` and make its orders tabu for ``tenure`` steps."""
    route_of, nxt = rs[0], rs[2]
    kind = row[0]
    if kind == RELOCATE:
        v = row[1]
        _hold(v, route_of[v], clock, tenure, tabu)
        K.apply_relocate(v, row[2], row[3], rs, inst)
    elif kind == SWAP:
        v, u = row[1], row[2]
        _hold(v, route_of[v], clock, tenure, tabu)
        _hold(u, route_of[u], clock, tenure, tabu)
        K.apply_swap(v, u, rs, inst)
    elif kind == TWO_OPT:
        a, b = row[1], row[2]
        _hold(a, -1, clock, tenure, tabu)
        _hold(b, -1, clock, tenure, tabu)
        K.apply_two_opt(a, b, rs, inst)
    else:
        x = row[1]
        k = route_of[x]
        for _ in range(row[2]):
            _hold(x, k, clock, tenure, tabu)
            x = nxt[x]
        K.apply_or_opt(row[1], row[2], row[3], row[4], row[5] == 1, rs, inst)


@njit(cache=True)
def _hold(v, left, clock, tenure, tabu):
    tabu[v, 0] = clock + tenure
    if left >= 0:
        tabu[v, 1] = left
        tabu[v, 2] = clock + 2 * tenure


@njit(cache=True)
def _candidates(rs, cfg, inst, release_max, most, cand, rng):
    """Fill ``cand`` with the step's candidate orders (module docstring); returns their count."""
    nxt, first, count, info = rs[2], rs[6], rs[8], rs[10]
    idle = inst[7]
    nc = 0
    crit = info[0]
    x = first[crit]
    if count[crit] > most:  # a window of the longest route, at a random place
        for _ in range(K.rand_int(rng, count[crit] - most + 1)):
            x = nxt[x]
    while x >= 0 and nc < most:
        cand[nc] = x
        nc += 1
        x = nxt[x]
    if cfg[1] > 0 and release_max > 0:
        small = -1
        for k in range(count.shape[0]):
            if idle[k] and 0 < count[k] <= release_max and k != crit and (
                    small < 0 or count[k] < count[small]):
                small = k
        if small >= 0:
            x = first[small]
            while x >= 0:
                cand[nc] = x
                nc += 1
                x = nxt[x]
    return nc


@njit(cache=True)
def _polish(v, cost, rs, inst, cfg, near, near_ops, n_random, free, pick, sel, cnt, rng):
    """The sweep: apply ``v``'s best move if it lowers the objective, or keeps it and lowers
    the summed route times (no tabu); returns (moves priced, applied)."""
    sel[0] = K.INF
    sel[1] = K.INF
    cnt[:] = 0
    _scan_order(v, rs, inst, cfg, near, near_ops, n_random, free, 1, -K.INF, pick, sel, cnt, rng)
    if cnt[1] == 1 and (sel[0] < cost or (sel[0] <= cost and sel[1] < -1e-9)):
        _apply(pick[0], rs, inst, free, 0, 0)
        return cnt[3], True
    return cnt[3], False


@njit(cache=True)
def _perturb(moves, rs, inst, cfg, near, rng):
    """Apply ``moves`` random feasible relocations (else swaps) of longest-route orders to
    their neighbours' routes."""
    route_of, prev, first, nxt, count, info = rs[0], rs[1], rs[6], rs[2], rs[8], rs[10]
    if near.shape[1] == 0:
        return
    for _ in range(moves):
        for _attempt in range(20):
            crit = info[0]
            if count[crit] == 0:
                return
            v = first[crit]
            for _s in range(K.rand_int(rng, count[crit])):
                v = nxt[v]
            u = near[v, K.rand_int(rng, near.shape[1])]
            if u < 0:
                continue
            a = u if K.rand_int(rng, 2) == 0 else prev[u]
            obj, _d = K.eval_relocate(v, route_of[u], a, rs, inst, cfg)
            if obj < K.INF:
                K.apply_relocate(v, route_of[u], a, rs, inst)
                break
            obj, _d = K.eval_swap(v, u, rs, inst, cfg)
            if obj < K.INF:
                K.apply_swap(v, u, rs, inst)
                break


@njit(cache=True)
def _keep_best(rs, best_orders, best_offsets, steps, cost, trace, n_trace):
    """Save the current routes as the best and append (steps, cost) to the trace."""
    K.store_flat(rs, best_orders, best_offsets)
    if n_trace < trace.shape[0]:
        trace[n_trace, 0] = steps
        trace[n_trace, 1] = cost
        n_trace += 1
    return n_trace


@njit(cache=True)
def search_chunk(n_steps, policy, rs, inst, cfg, near, near_ops, tabu, free, params, state,
                 values, rng, best_orders, best_offsets, cand, pick, sel, cnt, trace):
    """Run up to ``n_steps`` steps of ``policy`` (0 tabu, 1 greedy).

    ``params`` = [tenure_min, tenure_max, stall, perturb, random targets, sweep (-1: auto),
    release_max, max_candidates]; ``state`` = [clock, since best, restarts, steps, moves priced,
    sweep position,
    orders polished since the sweep last moved one]; ``values`` =
    [cost, best, lower bound]; ``free``: a tabu table that bars nothing (the sweep's). Returns
    (steps done, status code (module STATUS), trace length).
    """
    tmin, tmax, stall, perturb, n_targets, sweep, release_max, most = (
        params[0], params[1], params[2], params[3], params[4], params[5], params[6], params[7])
    clock, since_best, restarts, steps, priced, at = (state[0], state[1], state[2], state[3],
                                                      state[4], state[5])
    quiet = state[6]
    n = rs[0].shape[0]
    cost, best, lower = values[0], values[1], values[2]
    done = 0
    status = 0
    n_trace = 0
    while done < n_steps:
        if best <= lower:
            status = 2
            break
        todo = sweep if sweep >= 0 else 2 * min(rs[8][rs[10][0]], most)
        if quiet >= n:
            todo = min(todo, 1)
        for _ in range(todo):  # polish the orders one after the other
            p, moved = _polish(at, cost, rs, inst, cfg, near, near_ops, n_targets, free, pick,
                               sel, cnt, rng)
            priced += p
            at = at + 1 if at + 1 < n else 0
            quiet += 1
            if moved:
                quiet = 0
                cost = K.current_objective(rs, cfg)
        if cost < best:
            best = cost
            since_best = 0
            n_trace = _keep_best(rs, best_orders, best_offsets, steps, cost, trace, n_trace)
        nc = _candidates(rs, cfg, inst, release_max, most, cand, rng)
        sel[0] = K.INF
        sel[1] = K.INF
        cnt[:] = 0
        for i in range(nc):
            _scan_order(cand[i], rs, inst, cfg, near, near_ops, n_targets, tabu, clock, best,
                        pick, sel, cnt, rng)
        priced += cnt[3]
        if cnt[1] == 0 and cnt[2] == 0:
            status = 3
            break
        improves = cnt[1] == 1 and (sel[0] < cost or (sel[0] == cost and sel[1] < -1e-9))
        if policy == 1 and not improves:
            status = 1
            break
        tenure = tmin + K.rand_int(rng, tmax - tmin + 1)
        _apply(pick[0] if cnt[1] == 1 else pick[1], rs, inst, tabu, clock, tenure)
        cost = K.current_objective(rs, cfg)
        clock += 1
        done += 1
        steps += 1
        since_best += 1
        if cost < best:
            best = cost
            since_best = 0
            n_trace = _keep_best(rs, best_orders, best_offsets, steps, cost, trace, n_trace)
        if policy == 0 and since_best >= stall:  # restart from the best, perturbed
            K.load_flat(best_orders, best_offsets, rs, inst)
            _perturb(perturb, rs, inst, cfg, near, rng)
            cost = K.current_objective(rs, cfg)
            clock += 2 * tmax + 1  # every tabu entry expires
            since_best = 0
            restarts += 1
    state[0], state[1], state[2], state[3], state[4], state[5] = (clock, since_best, restarts,
                                                                  steps, priced, at)
    state[6] = quiet
    values[0], values[1] = cost, best
    return done, status, n_trace


# ---- the stepper -------------------------------------------------------------------------------
def check_schedule(schedule: CrewSchedule) -> None:
    """An InputError unless every order is served exactly once and every route keeps its
    operator's capacity (the search keeps a feasible start feasible)."""
    instance = schedule.instance
    if len(schedule.routes) != instance.n_operators:
        raise InputError(f"{instance.name}: expected {instance.n_operators} routes (one per "
                         f"operator), found {len(schedule.routes)}")
    orders = np.concatenate(schedule.routes) if schedule.routes else np.zeros(0, np.int64)
    served = np.bincount(orders[(orders >= 0) & (orders < instance.n_orders)],
                         minlength=instance.n_orders)
    if orders.size != instance.n_orders or (served != 1).any():
        bad = int(np.flatnonzero(served != 1)[0]) if (served != 1).any() else int(orders.max())
        raise InputError(f"{instance.name}: order {bad} is not served exactly once by the start "
                         f"schedule")
    over = schedule.times > instance.capacity + TOLERANCE
    if over.any():
        k = int(np.argmax(over))
        raise InputError(f"{instance.name}: operator {k}'s route takes {schedule.times[k]:g} "
                         f"hours, over its capacity {instance.capacity[k]:g}")


class CrewLocalSearch(Stepper):
    """Tabu search or greedy descent from a feasible :class:`CrewSchedule` (module docstring), a
    :class:`~rewriter.core.loop.Stepper` for the core loop."""

    def __init__(self, schedule: CrewSchedule, policy: str = "tabu",
                 settings: CrewTabuSettings | None = None, seed: int = 0):
        if policy not in SEARCH_POLICIES:
            raise InputError(f"unknown search policy {policy!r}; expected one of: "
                             f"{', '.join(SEARCH_POLICIES)}")
        check_schedule(schedule)
        s = settings or CrewTabuSettings()
        self.params = s.resolved()
        instance = schedule.instance
        n = instance.n_orders
        self.instance = instance
        self.policy_code = SEARCH_POLICIES.index(policy)
        self.rs, self.inst, self.cfg = K.state_of(schedule)
        self.near, self.near_ops = neighbour_lists(instance, s.neighbours, s.operator_neighbours)
        self.tabu = np.zeros((n, 3), np.int64)
        self.tabu[:, 1] = -1
        self.free = self.tabu.copy()
        cost = K.current_objective(self.rs, self.cfg)
        # the counters live in the kernel's arrays (read by the properties below), so a Ctrl-C
        # raised just after a kernel call still sees what the call did
        self.state = np.array([1, 0, 0, 0, 0, 0, 0], np.int64)
        self.values = np.array([cost, cost, lower_bound(instance) * (1 + 1e-9) + 1e-9], np.float64)
        super().__init__(float(cost))
        self.best_orders, self.best_offsets = schedule.flat()
        self.cand = np.zeros(n, np.int64)
        self.pick = np.zeros((2, 6), np.int64)
        self.sel = np.zeros(2)
        self.cnt = np.zeros(4, np.int64)
        self.rng = np.array([_rng_state(check_seed(seed))], np.uint64)
        self._trace = np.zeros((1 << 12, 2))

    # ---- counters (kernel arrays) ------------------------------------------------------------
    @property
    def steps(self) -> int:
        return int(self.state[3])

    @steps.setter
    def steps(self, value: int) -> None:
        self.state[3] = value

    @property
    def restarts(self) -> int:
        return int(self.state[2])

    @restarts.setter
    def restarts(self, value: int) -> None:
        self.state[2] = value

    @property
    def best_cost(self) -> float:
        return float(self.values[1])

    @best_cost.setter
    def best_cost(self, value: float) -> None:
        self.values[1] = value

    @property
    def cost(self) -> float:
        return float(self.values[0])

    @property
    def moves_priced(self) -> int:
        """Moves priced so far (valid or not): the measure of the search's speed."""
        return int(self.state[4])

    # ---- stepping ----------------------------------------------------------------------------
    def advance(self, n_steps: int):
        done, status, nt = search_chunk(
            n_steps, self.policy_code, self.rs, self.inst, self.cfg, self.near, self.near_ops,
            self.tabu, self.free, self.params, self.state, self.values, self.rng,
            self.best_orders, self.best_offsets, self.cand, self.pick, self.sel, self.cnt,
            self._trace)
        return int(done), STATUS[int(status)], [(int(s), float(c)) for s, c in self._trace[:nt]]

    def best(self) -> CrewSchedule:
        return CrewSchedule.from_flat(self.instance, self.best_orders, self.best_offsets)

    def current(self) -> CrewSchedule:
        return CrewSchedule(self.instance, K.routes_of(self.rs))


def _rng_state(seed: int) -> int:
    """A non-zero 64-bit xorshift state from a seed (splitmix64's finaliser)."""
    z = (seed + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 31
    return z or 1


def local_search(schedule: CrewSchedule, *, steps: int | None = None,
                 time_limit: float | None = None, seed: int = 0, progress: bool | str = False,
                 started: float | None = None, policy: str = "tabu",
                 settings: CrewTabuSettings | None = None) -> SearchOutcome:
    """Improve ``schedule`` by :class:`CrewLocalSearch` until ``steps``, ``time_limit`` seconds
    since ``started`` (default: now), a final status or Ctrl-C; the outcome's ``best`` is a
    :class:`CrewSchedule` never worse than ``schedule``."""
    search = CrewLocalSearch(schedule, policy=policy, settings=settings, seed=seed)
    return run(search, steps, time_limit=time_limit, progress=progress, desc=f"crew {policy}",
               started=started)
