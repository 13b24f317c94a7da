"""Local search for the flexible job shop: tabu search, greedy descent and a random walk over the
resequence / reassign moves of :mod:`rewriter.fjsp.moves`, in numba, run by the core loop.

Every step scans the moves of every candidate operation (the critical ones, and for the
tardiness objectives the tight chains of late jobs), each priced exactly, and applies one; the
schedule is then re-evaluated from scratch (heads, tails, objective), so the search's cost is
always the exact objective.

* ``greedy``: best improvement (ties at random); stops at a local optimum (status
  ``local_optimum``): no move of the neighbourhood improves the objective.
* ``random``: a uniformly random move of the neighbourhood every step; the best is kept.
* ``tabu``: the best admissible move every step, ties at random. Two attributes, O(n_ops)
  memory (one row per operation):

  - the moved operation may not be moved again for ``t`` steps, ``t`` drawn uniformly from
    ``[tenure_min, tenure_max]`` (default ``2 + n_ops // (10 x n_machines)`` to
    ``2 x tenure_min + 2``: about the critical blocks' length on the benchmark sizes);
  - for ``spot x t`` steps (default ``spot = 4``) it may not return to the gap it left: the same
    machine, right after its old machine predecessor or right before its old machine successor;

  aspiration: a tabu move whose exact cost beats the best cost found is allowed; when every move
  is tabu, a random one is taken. After ``stall`` steps without a new best (default 3000) the
  search restarts from the best schedule perturbed by ``perturb`` (default 4) random moves, with
  the tabu memory cleared.

The search stops early (status ``optimal``) when the makespan reaches the instance's lower bound
(the trivial bound, or the bundled one), or the weighted tardiness reaches 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..baselines.local_search import record_trace, seed_numba
from ..core.loop import Stepper
from ..errors import InputError
from . import moves as M
from .instance import FlexibleInstance
from .schedule import FlexibleSchedule

SEARCH_POLICIES = ("tabu", "greedy", "random")
STATUS = {0: None, 1: "local_optimum", 2: "optimal", 3: "stuck"}


@dataclass
class FlexibleTabuSettings:
    """Tabu parameters; ``None`` picks the size-based defaults of the module docstring."""

    tenure_min: int | None = None
    tenure_max: int | None = None
    spot: int = 2
    stall: int = 3000
    perturb: int = 4
    tie_break: str = "random"  # among equal costs: "path" (shortest path through the moved op) or "random"

    def resolved(self, instance: FlexibleInstance) -> tuple[int, int, int, int, int, int]:
        low = self.tenure_min if self.tenure_min is not None else \
            3 + instance.n_operations // (10 * instance.n_machines)
        high = self.tenure_max if self.tenure_max is not None else 4 * low
        if not 1 <= low <= high:
            raise InputError(f"tabu tenure must satisfy 1 <= min <= max, got {low}..{high}")
        if self.spot < 0 or self.stall < 1 or self.perturb < 0:
            raise InputError("tabu spot and perturb must be >= 0 and stall >= 1")
        if self.tie_break not in ("path", "random"):
            raise InputError(f"tabu tie-break must be path or random, got {self.tie_break!r}")
        return low, high, self.spot, self.stall, self.perturb, int(self.tie_break == "path")


@njit(cache=True)
def _save(st, best_st):
    for i in range(5):
        best_st[i][:] = st[i]


@njit(cache=True)
def _random_move(st, inst, sc, obj, tw, mode_seq, reassign, mk, out, cand, mark, stamp):
    """A uniformly random move of the neighbourhood (row copied into ``out[0]``); False if none."""
    c = M.candidate_ops(st, inst, obj, mk, mark, stamp, cand)
    seen = 0
    pick = np.zeros(6)
    for i in range(c):
        r = M.scan_op(cand[i], st, inst, sc, obj, tw, mode_seq, reassign, mk, out, 1)
        for row in range(1, r):
            seen += 1
            if np.random.randint(0, seen) == 0:
                pick[:] = out[row]
    out[0] = pick
    return seen > 0


@njit(cache=True)
def search_chunk(n_steps, policy, obj, tw, mode_seq, reassign, st, inst, sc, out, cand, mark,
                 tabu, best_st, params, state, values, trace, step0):
    """Run up to ``n_steps`` steps of ``policy`` (0 tabu, 1 greedy, 2 random).

    ``state`` = [clock, since_best, restarts, mark stamp, makespan]; ``values`` = [cost, best,
    lower bound]; ``params`` = [tenure_min, tenure_max, spot, stall, perturb]; ``tabu`` rows per
    operation = [touch until, left machine, left predecessor, left successor, left until].
    Returns (steps done, status code (module STATUS), trace length).
    """
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    tmin, tmax, spot, stall, perturb = params[0], params[1], params[2], params[3], params[4]
    tie_est = params[5] != 0
    clock, since_best, restarts, stamp, mk = state[0], state[1], state[2], state[3], state[4]
    cost, best, lower = values[0], values[1], values[2]
    done = 0
    n_trace = 0
    status = 0
    chosen = np.zeros(6)
    fallback = np.zeros(6)
    while done < n_steps:
        if best <= lower:
            status = 2
            break
        stamp += 1
        c = M.candidate_ops(st, inst, obj, mk, mark, stamp, cand)
        n_moves = 0
        n_fall = 0
        ties = 0
        have = False
        ch_score = 1e300
        ch_sec = 1e300
        for i in range(c):
            v = cand[i]
            r = M.scan_op(v, st, inst, sc, obj, tw, mode_seq, reassign, mk, out, 0)
            for row in range(r):
                n_moves += 1
                score = out[row, 4]
                if policy == 2:
                    if np.random.randint(0, n_moves) == 0:
                        chosen[:] = out[row]
                        have = True
                    continue
                if policy == 0 and score >= best:
                    k = np.int64(out[row, 1])
                    a = np.int64(out[row, 2])
                    is_tabu = clock < tabu[v, 0]
                    if not is_tabu and k == tabu[v, 1] and clock < tabu[v, 4]:
                        b = ms[a] if a >= 0 else first[k]
                        if b == v:
                            b = ms[v]
                        is_tabu = a == tabu[v, 2] or b == tabu[v, 3]
                    if is_tabu:
                        n_fall += 1
                        if np.random.randint(0, n_fall) == 0:
                            fallback[:] = out[row]
                        continue
                sec = out[row, 5] if tie_est else 0.0
                if score < ch_score or (score == ch_score and sec < ch_sec):
                    ch_score = score
                    ch_sec = sec
                    chosen[:] = out[row]
                    ties = 1
                    have = True
                elif score == ch_score and sec == ch_sec:
                    ties += 1
                    if np.random.randint(0, ties) == 0:
                        chosen[:] = out[row]
        if n_moves == 0:
            status = 3 if policy != 1 else 1
            break
        if policy == 1 and not ch_score < cost:
            status = 1
            break
        if not have:
            chosen[:] = fallback
        v = np.int64(chosen[0])
        m_old, p_old, s_old = M.apply_move(v, np.int64(chosen[1]), np.int64(chosen[2]),
                                           np.int64(chosen[3]), st)
        mk, cost = M.evaluate(st, inst, obj, tw)
        if policy == 0:
            t = tmin + np.random.randint(0, tmax - tmin + 1)
            tabu[v, 0] = clock + t
            tabu[v, 1] = m_old
            tabu[v, 2] = p_old
            tabu[v, 3] = s_old
            tabu[v, 4] = clock + spot * t
        clock += 1
        done += 1
        since_best += 1
        if cost < best:
            best = cost
            since_best = 0
            _save(st, best_st)
            n_trace = record_trace(step0 + done, cost, trace, n_trace)
        if policy == 0 and since_best >= stall:
            for i in range(5):
                st[i][:] = best_st[i]
            mk, cost = M.evaluate(st, inst, obj, tw)
            for _ in range(perturb):
                stamp += 1
                if not _random_move(st, inst, sc, obj, tw, mode_seq, reassign, mk, out, cand,
                                    mark, stamp):
                    break
                M.apply_move(np.int64(out[0, 0]), np.int64(out[0, 1]), np.int64(out[0, 2]),
                             np.int64(out[0, 3]), st)
                mk, cost = M.evaluate(st, inst, obj, tw)
            clock += spot * tmax + 1  # every tabu entry expires
            since_best = 0
            restarts += 1
    state[0], state[1], state[2], state[3], state[4] = clock, since_best, restarts, stamp, mk
    values[0], values[1] = cost, best
    return done, status, n_trace


class FlexibleLocalSearch(Stepper):
    """Tabu search, greedy descent or a random walk from a :class:`FlexibleSchedule` (module
    docstring), a :class:`~rewriter.core.loop.Stepper` for the core loop."""

    first_chunk = 16

    def __init__(self, schedule: FlexibleSchedule, policy: str = "tabu", moves: str = "full",
                 settings: FlexibleTabuSettings | None = None, seed: int = 0,
                 objective: str = "makespan", tardiness_weight: float = 1.0):
        if policy not in SEARCH_POLICIES:
            raise InputError(f"unknown search policy {policy!r}; expected one of: {', '.join(SEARCH_POLICIES)}")
        if moves not in M.MOVE_SETS:
            raise InputError(f"unknown moves {moves!r}; expected one of: {', '.join(M.MOVE_SETS)}")
        inst = schedule.instance
        n = inst.n_operations
        self.instance = inst
        self.policy_code = SEARCH_POLICIES.index(policy)
        self.obj = M.OBJECTIVE_CODES[objective]
        self.tw = float(tardiness_weight)
        self.mode_seq, self.reassign = M.MOVE_SETS[moves]
        first = np.full(inst.n_machines, -1, np.int64)
        M.machine_firsts(schedule.mach_pred, schedule.assign, first)
        self.st = (schedule.assign.copy(), schedule.dur.copy(), schedule.mach_pred.copy(),
                   schedule.mach_succ.copy(), first, schedule.job_pred.copy(),
                   schedule.job_succ.copy(), schedule.op_release.copy(), np.zeros(n, np.int64),
                   np.zeros(n, np.int64), np.zeros(n, np.int64))
        self.inst_arrays = (inst.elig_start, inst.elig_machine, inst.elig_duration,
                            inst.job_start, inst.due, inst.weight)
        max_elig = int(np.diff(inst.elig_start).max())
        self.sc = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64),
                   np.zeros(n + 1, np.int64), np.zeros(n + 1, np.int64), np.zeros(n, np.int64),
                   np.zeros((2 * max_elig, 3), np.int64))
        self.out = np.zeros((n + 3 * max_elig + 1, 6))
        self.cand = np.zeros(n, np.int64)
        self.mark = np.zeros(n, np.int64)
        mk, cost = M.evaluate(self.st, self.inst_arrays, self.obj, self.tw)
        super().__init__(float(cost))
        self.best_st = tuple(a.copy() for a in self.st[:5])
        s = settings or FlexibleTabuSettings()
        self.params = np.array(s.resolved(inst), np.int64)
        self.tabu = np.zeros((n, 5), np.int64)
        self.tabu[:, 1:4] = -3
        self.state = np.array([1, 0, 0, 0, mk], np.int64)
        if self.obj == 0:
            lower = max(inst.trivial_lower_bound(), inst.lower_bound or 0)
        else:
            lower = 0.0 if self.obj == 1 else float(max(inst.trivial_lower_bound(), inst.lower_bound or 0))
        self.values = np.array([cost, cost, lower], np.float64)
        self._trace = np.zeros((1 << 12, 2))
        seed_numba(seed)

    @property
    def cost(self) -> float:
        return float(self.values[0])

    def advance(self, n_steps: int):
        done, status, nt = search_chunk(n_steps, self.policy_code, self.obj, self.tw,
                                        self.mode_seq, self.reassign, self.st, self.inst_arrays,
                                        self.sc, self.out, self.cand, self.mark, self.tabu,
                                        self.best_st, self.params, self.state, self.values,
                                        self._trace, self.steps)
        self.steps += int(done)
        self.restarts = int(self.state[2])
        self.best_cost = _num(self.values[1])
        return int(done), STATUS[int(status)], [(int(s), _num(c)) for s, c in self._trace[:nt]]

    def moves(self) -> np.ndarray:
        """Every move of the current schedule's neighbourhood as rows (op, machine, after,
        duration, exact cost, tie-break) (for tests and inspection)."""
        mk = int(self.state[4])
        self.state[3] += 1
        c = M.candidate_ops(self.st, self.inst_arrays, self.obj, mk, self.mark, self.state[3], self.cand)
        rows = []
        for v in self.cand[:c].tolist():
            r = M.scan_op(v, self.st, self.inst_arrays, self.sc, self.obj, self.tw, self.mode_seq,
                          self.reassign, mk, self.out, 0)
            rows.append(self.out[:r].copy())
        return np.concatenate(rows) if rows else np.zeros((0, 6))

    def apply(self, v: int, machine: int, after: int) -> bool:
        """Move operation ``v`` to ``machine`` right after ``after`` (-1: at the front) in the
        current schedule and re-evaluate it; False, with nothing changed, when ``machine`` is not
        eligible for ``v``, ``after`` is not on ``machine`` or is ``v``, or the move would close
        a cycle."""
        inst, st = self.instance, self.st
        duration = inst.duration_table.get((int(v), int(machine)))
        if duration is None or after == v or (after >= 0 and st[0][after] != machine):
            return False
        d_old = int(st[1][v])
        m_old, p_old, _ = M.apply_move(np.int64(v), np.int64(machine), np.int64(after),
                                       np.int64(duration), st)
        mk, cost = M.evaluate(st, self.inst_arrays, self.obj, self.tw)
        if mk < 0:
            M.apply_move(np.int64(v), m_old, p_old, np.int64(d_old), st)
            mk, cost = M.evaluate(st, self.inst_arrays, self.obj, self.tw)
            return False
        self.state[4] = mk
        self.values[0] = cost
        if cost < self.values[1]:
            self.values[1] = cost
            _save(st, self.best_st)
        return True

    def candidates(self) -> list[int]:
        """The operations the neighbourhood moves (critical ones, tight chains of late jobs)."""
        self.state[3] += 1
        c = M.candidate_ops(self.st, self.inst_arrays, self.obj, int(self.state[4]), self.mark,
                            self.state[3], self.cand)
        return self.cand[:c].tolist()

    def current(self) -> FlexibleSchedule:
        return _schedule(self.instance, *self.st[:5])

    def best(self) -> FlexibleSchedule:
        return _schedule(self.instance, *self.best_st)


def _num(x: float):
    return int(x) if float(x).is_integer() else float(x)


def _schedule(inst, assign, dur, mach_pred, mach_succ, first) -> FlexibleSchedule:
    sequences = []
    for m in range(inst.n_machines):
        seq, o = [], int(first[m])
        while o >= 0:
            seq.append(o)
            o = int(mach_succ[o])
        sequences.append(seq)
    return FlexibleSchedule(inst, assign, sequences)
