"""Local search for the flexible job shop: tabu search, greedy descent and a random walk over the
resequence / reassign moves of :mod:`rewriter.fjsp.moves`, in numba, run by the core loop.

Every step scans the moves of every candidate operation (the critical ones, and for the
tardiness objectives the tight chains of late jobs) and applies one; the schedule is then
re-evaluated from scratch (heads, tails, objective: O(n) once per step), so the search's cost is
always the exact objective. How moves are priced (``FlexibleTabuSettings.pricing``):

* ``exact`` (the makespan's default): every move priced exactly by :func:`moves.scan_op`;
* ``estimate`` (the tardiness objectives' default): every move priced from the current heads
  and tails without a pass over the graph (:mod:`rewriter.fjsp.pricing`), and only the
  ``shortlist`` best-estimated admissible moves (and as many tabu ones, for the aspiration)
  evaluated exactly, one full pass each; the best of those by exact cost is taken. So "best
  move" below means the best of that shortlist, and greedy's local optimum means that no
  shortlisted move improves.

* ``greedy``: best improvement (ties at random); stops at a local optimum (status
  ``local_optimum``): no move of the neighbourhood improves the objective.
* ``random``: a uniformly random move of the neighbourhood every step; the best is kept.
* ``tabu``: the best admissible move every step, ties at random. Two attributes, O(n_ops)
  memory (one row per operation):

  - the moved operation may not be moved again for ``t`` steps, ``t`` drawn uniformly from
    ``[tenure_min, tenure_max]`` (default ``3 + n_ops // (10 x n_machines)`` to
    ``4 x tenure_min``: about the critical blocks' length on the benchmark sizes; with estimated
    pricing ``10 + n_ops // (10 x n_machines)`` to 4x that);
  - for ``spot x t`` steps (default ``spot = 2``) it may not return to the gap it left: the same
    machine, right after its old machine predecessor or right before its old machine successor;

  aspiration: a tabu move whose exact cost beats the best cost found is allowed; when every move
  is tabu, a random one is taken. After ``stall`` steps without a new best (default 3000) the
  search restarts from the best schedule perturbed by ``perturb`` (default 4) random moves, with
  the tabu memory cleared.

The search stops early (status ``optimal``) when the makespan reaches the instance's lower bound
(the trivial bound, or the bundled one), or the weighted tardiness reaches 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..jssp.search_kernels import record_trace, seed_numba
from ..shop.dag import copy_into
from ..core.loop import CHUNK_SECONDS, Stepper
from ..errors import InputError
from . import moves as M
from . import pricing as P
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
    #: how moves are priced: "exact" (moves.scan_op), "estimate" (pricing.price_moves, then the
    #: ``shortlist`` best-estimated admissible moves and as many tabu ones evaluated exactly), "auto":
    #: estimate for the tardiness objectives, exact for the makespan (whose exact scan is cheap)
    pricing: str = "auto"
    shortlist: int = 8

    def resolved(self, instance: FlexibleInstance, objective: str = "makespan") -> tuple[int, ...]:
        estimated = self.pricing == "estimate" or (self.pricing == "auto" and objective != "makespan")
        # estimated pricing: a shortlist of 8 with tenures from 10 (10..40, 11..44) beat a
        # shortlist of 16 with the exact search's tenures (3..12, 4..16) on all three tight_*
        # production instances (30 s, seed 0; docs/fjsp.md "Moves priced without a full pass")
        low = self.tenure_min if self.tenure_min is not None else \
            (10 if estimated else 3) + instance.n_operations // (10 * instance.n_machines)
        high = self.tenure_max if self.tenure_max is not None else 4 * low
        if not 1 <= low <= high:
            raise InputError(f"tabu tenure must satisfy 1 <= min <= max, got {low}..{high}")
        if self.spot < 0 or self.stall < 1 or self.perturb < 0:
            raise InputError("tabu spot and perturb must be >= 0 and stall >= 1")
        if self.tie_break not in ("path", "random"):
            raise InputError(f"tabu tie-break must be path or random, got {self.tie_break!r}")
        if self.pricing not in ("auto", "exact", "estimate"):
            raise InputError(f"pricing must be auto, exact or estimate, got {self.pricing!r}")
        if self.shortlist < 1:
            raise InputError(f"the shortlist must hold at least one move, got {self.shortlist}")
        return (low, high, self.spot, self.stall, self.perturb, int(self.tie_break == "path"),
                int(estimated), self.shortlist)


@njit(cache=True)
def _save(st, best_st):
    for i in range(5):
        copy_into(best_st[i], st[i])


@njit(cache=True)
def _is_tabu(v, row, tabu, clock, ms, first):
    """The move ``row`` of ``v`` is tabu: ``v`` moved too recently, or back into the gap it left."""
    k = np.int64(row[1])
    a = np.int64(row[2])
    if clock < tabu[v, 0]:
        return True
    if k == tabu[v, 1] and clock < tabu[v, 4]:
        b = ms[a] if a >= 0 else first[k]
        if b == v:
            b = ms[v]
        return a == tabu[v, 2] or b == tabu[v, 3]
    return False


@njit(cache=True)
def _shortlist(short, short_key, region, count, row, estimate):
    """Keep ``row`` among the best-estimated moves of ``region`` (0: admissible, 1: tabu), held in
    rows ``region x size ..`` of ``short`` (``size`` = (rows of ``short_key`` - 2) / 2; ties
    broken by a random key); returns the new count. Row ``2 size + region`` of ``short_key``
    caches the region's worst kept key once it is full, so most moves are turned away by one
    comparison."""
    size = (short_key.shape[0] - 2) // 2
    base = region * size
    worst = 2 * size + region
    if count == size and estimate > short_key[worst, 0]:
        return count
    key = np.random.random()
    if count == size:
        if estimate == short_key[worst, 0] and key >= short_key[worst, 1]:
            return count
        slot = base
        for i in range(base + 1, base + size):  # the worst kept move
            if short_key[i, 0] > short_key[slot, 0] or (
                    short_key[i, 0] == short_key[slot, 0] and short_key[i, 1] > short_key[slot, 1]):
                slot = i
    else:
        slot = base + count
        count += 1
    copy_into(short[slot], row)
    short_key[slot, 0] = estimate
    short_key[slot, 1] = key
    if count == size:  # refresh the cached worst
        w = base
        for i in range(base + 1, base + size):
            if short_key[i, 0] > short_key[w, 0] or (
                    short_key[i, 0] == short_key[w, 0] and short_key[i, 1] > short_key[w, 1]):
                w = i
        short_key[worst, 0] = short_key[w, 0]
        short_key[worst, 1] = short_key[w, 1]
    return count


@njit(cache=True)
def search_chunk(n_steps, max_scans, policy, obj, tw, mode_seq, reassign, st, inst, sc, out, cand,
                 mark, tabu, best_st, params, state, values, scan, picks, trace, aux, short,
                 short_key):
    """Run up to ``n_steps`` steps of ``policy`` (0 tabu, 1 greedy, 2 random), scanning the moves
    of at most ``max_scans`` candidate operations: a step whose scan the budget cuts is left
    half done in ``scan`` and resumed by the next call, so a call stays short even when one step
    scans thousands of operations (at 1000 x 200, a step takes seconds).

    ``state`` = [clock, since_best, restarts, mark stamp, makespan, steps, perturbation moves
    left]; ``values`` = [cost, best, lower bound, the step's best score, its tie-break];
    ``params`` = [tenure_min, tenure_max, spot, stall, perturb, tie by path]; ``tabu`` rows per
    operation = [touch until, left machine, left predecessor, left successor, left until];
    ``scan`` = [next candidate (-1: no step under way), candidates, moves seen, tabu moves seen,
    ties, a move chosen, admissible and tabu moves shortlisted]; ``picks`` rows = [chosen move, random tabu move].
    Returns (steps done, status code (module STATUS), trace length, operations scanned).
    """
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    tmin, tmax, spot, stall, perturb = params[0], params[1], params[2], params[3], params[4]
    tie_est = params[5] != 0
    estimated = params[6] != 0  # priced by pricing.price_moves, the shortlist evaluated exactly
    n_short = (short_key.shape[0] - 2) // 2  # rows 0.. hold admissible moves, n_short.. tabu ones
    h2, topo2 = sc[0], sc[2]
    clock, since_best, restarts, stamp, mk = state[0], state[1], state[2], state[3], state[4]
    steps, perturbing = state[5], state[6]
    cost, best, lower = values[0], values[1], values[2]
    chosen = picks[0]
    fallback = picks[1]
    done = 0
    n_trace = 0
    status = 0
    scans = 0
    while done < n_steps:
        if scan[0] < 0:  # a new step: its candidates
            if best <= lower:
                status = 2
                break
            stamp += 1
            scan[1] = M.candidate_ops(st, inst, obj, mk, mark, stamp, cand)
            scan[0] = scan[2] = scan[3] = scan[4] = scan[5] = scan[6] = scan[7] = 0
            if estimated:
                P.prepare(st, inst, aux[0], aux[1], aux[2], aux[3], aux[4])
            values[3] = values[4] = 1e300
        # a restart's perturbation moves are uniformly random, like the random walk's
        random_pick = policy == 2 or perturbing > 0
        i, c, n_moves, n_fall, ties = scan[0], scan[1], scan[2], scan[3], scan[4]
        have = scan[5] != 0
        ch_score, ch_sec = values[3], values[4]
        while i < c and scans < max_scans:
            v = cand[i]
            i += 1
            scans += 1
            if estimated:
                # above ``limit`` a move cannot enter the shortlist of v's moves (the tabu one
                # when v itself is tabu; the rare move back into the gap v left may be kept
                # with a partial estimate, harmless: shortlisted moves are evaluated exactly)
                region = 1 if policy == 0 and clock < tabu[v, 0] else 0
                limit = np.inf
                if not random_pick and scan[6 + region] == n_short:
                    limit = short_key[2 * n_short + region, 0]
                r = P.price_moves(v, st, inst, aux, obj, tw, mode_seq, reassign, mk, out, 0, limit)
            else:
                r = M.scan_op(v, st, inst, sc, obj, tw, mode_seq, reassign, mk, out, 0)
            for row in range(r):
                n_moves += 1
                score = out[row, 4]
                if random_pick:
                    if np.random.randint(0, n_moves) == 0:
                        copy_into(chosen, out[row])
                        have = True
                    continue
                if estimated:  # shortlisted by the estimate; the exact costs come at the end
                    if policy == 0 and _is_tabu(v, out[row], tabu, clock, ms, first):
                        n_fall += 1
                        if np.random.randint(0, n_fall) == 0:
                            copy_into(fallback, out[row])
                        scan[7] = _shortlist(short, short_key, 1, scan[7], out[row], score)
                    else:
                        scan[6] = _shortlist(short, short_key, 0, scan[6], out[row], score)
                    continue
                if policy == 0 and score >= best:
                    if _is_tabu(v, out[row], tabu, clock, ms, first):
                        n_fall += 1
                        if np.random.randint(0, n_fall) == 0:
                            copy_into(fallback, out[row])
                        continue
                sec = out[row, 5] if tie_est else 0.0
                if score < ch_score or (score == ch_score and sec < ch_sec):
                    ch_score = score
                    ch_sec = sec
                    copy_into(chosen, out[row])
                    ties = 1
                    have = True
                elif score == ch_score and sec == ch_sec:
                    ties += 1
                    if np.random.randint(0, ties) == 0:
                        copy_into(chosen, out[row])
        scan[0], scan[2], scan[3], scan[4], scan[5] = i, n_moves, n_fall, ties, np.int64(have)
        values[3], values[4] = ch_score, ch_sec
        if i < c:
            break  # out of budget: the next call resumes this step's scan
        scan[0] = -1
        if perturbing > 0:
            perturbing = perturbing - 1 if n_moves > 0 else 0
            if n_moves > 0:
                M.apply_move(np.int64(chosen[0]), np.int64(chosen[1]), np.int64(chosen[2]),
                             np.int64(chosen[3]), st)
                mk, cost = M.evaluate(st, inst, obj, tw)
            continue
        if n_moves == 0:
            status = 3 if policy != 1 else 1
            break
        if estimated and policy != 2:
            have, ch_score = _exact_choice(short, scan[6], n_short, scan[7], chosen, st, inst, obj,
                                           tw, best, tie_est, h2, topo2)
            if not have and n_fall == 0:
                status = 3
                break
        if policy == 1 and not ch_score < cost:
            status = 1
            break
        if not have:
            copy_into(chosen, fallback)
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
        steps += 1
        since_best += 1
        if cost < best:
            best = cost
            since_best = 0
            _save(st, best_st)
            n_trace = record_trace(steps, cost, trace, n_trace)
        if policy == 0 and since_best >= stall:  # restart from the best, perturbed
            for j in range(5):
                copy_into(st[j], best_st[j])
            mk, cost = M.evaluate(st, inst, obj, tw)
            perturbing = perturb
            clock += spot * tmax + 1  # every tabu entry expires
            since_best = 0
            restarts += 1
    state[0], state[1], state[2], state[3], state[4] = clock, since_best, restarts, stamp, mk
    state[5], state[6] = steps, perturbing
    values[0], values[1] = cost, best
    return done, status, n_trace, scans


@njit(cache=True)
def _exact_choice(short, n_free, base_tabu, n_tabu, chosen, st, inst, obj, tw, best, tie_est, h2,
                  topo2):
    """Evaluate the shortlisted moves exactly (a full pass each) and put the best admissible one
    in ``chosen`` (a tabu one only when it beats ``best``), ties as the exact scan breaks them;
    returns (found one, its cost)."""
    have = False
    ch_score = 1e300
    ch_sec = 1e300
    ties = 0
    for i in range(n_free + n_tabu):
        row = short[i] if i < n_free else short[base_tabu + i - n_free]
        mk2, c = P.exact_cost(np.int64(row[0]), np.int64(row[1]), np.int64(row[2]),
                              np.int64(row[3]), st, inst, obj, tw, h2, topo2)
        if mk2 < 0 or (i >= n_free and not c < best):
            continue
        sec = float(mk2) if tie_est else 0.0
        if c < ch_score or (c == ch_score and sec < ch_sec):
            ch_score = c
            ch_sec = sec
            ties = 1
        elif c == ch_score and sec == ch_sec:
            ties += 1
            if np.random.randint(0, ties) != 0:
                continue
        else:
            continue
        copy_into(chosen, row)
        chosen[4] = c
        chosen[5] = sec
        have = True
    return have, ch_score


class FlexibleLocalSearch(Stepper):
    """Tabu search, greedy descent or a random walk from a :class:`FlexibleSchedule` (module
    docstring), a :class:`~rewriter.core.loop.Stepper` for the core loop."""

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
        # the counters live in the kernel's arrays (steps, restarts, best: see the properties)
        self.state = np.array([1, 0, 0, 0, mk, 0, 0], np.int64)
        self.values = np.array([cost, cost, 0.0, 0.0, 0.0], np.float64)
        super().__init__(float(cost))
        self.best_st = tuple(np.empty_like(a) for a in self.st[:5])
        _save(self.st, self.best_st)  # compiled here, in an untimed warm-up too
        s = settings or FlexibleTabuSettings()
        self.params = np.array(s.resolved(inst, objective), np.int64)
        # pricing.prepare's per-step numbers: op_job, cap, completion, slack, slope
        self.aux = (inst.op_job, np.zeros(n, np.int64), np.zeros(inst.n_jobs, np.int64),
                    np.zeros(n, np.int64), np.zeros(n))
        # the shortlist: rows 0..shortlist-1 admissible moves, the next ones tabu moves
        self.short = np.zeros((2 * s.shortlist, 6))
        self.short_key = np.zeros((2 * s.shortlist + 2, 2))
        self.tabu = np.zeros((n, 5), np.int64)
        self.tabu[:, 1:4] = -3
        lower = 0.0 if self.obj == 1 else float(inst.proven_lower_bound())
        self.values[2] = lower
        self.scan = np.array([-1, 0, 0, 0, 0, 0, 0, 0], np.int64)
        self.picks = np.zeros((2, 6))
        #: operations one kernel call scans: a few at first, then as many as take CHUNK_SECONDS
        self.scan_budget = 4
        self._trace = np.zeros((1 << 12, 2))
        seed_numba(seed)

    @property
    def cost(self) -> float:
        return float(self.values[0])

    # Read from the kernel's arrays, not copied after each call: the KeyboardInterrupt of a
    # Ctrl-C during a call is raised at the first bytecode after it, and the steps and best the
    # call kept must still be reported.
    @property
    def steps(self) -> int:
        return int(self.state[5])

    @steps.setter
    def steps(self, value: int) -> None:
        self.state[5] = value

    @property
    def best_cost(self):
        return _num(self.values[1])

    @best_cost.setter
    def best_cost(self, value: float) -> None:
        self.values[1] = value

    @property
    def restarts(self) -> int:
        return int(self.state[2])

    @restarts.setter
    def restarts(self, value: int) -> None:
        self.state[2] = value

    def advance(self, n_steps: int):
        """Up to ``n_steps`` steps in one kernel call of about CHUNK_SECONDS: a step that scans
        more operations than fit in that is resumed by the next call (fewer steps done)."""
        started = time.perf_counter()
        done, status, nt, scans = search_chunk(
            n_steps, self.scan_budget, self.policy_code, self.obj, self.tw, self.mode_seq,
            self.reassign, self.st, self.inst_arrays, self.sc, self.out, self.cand, self.mark,
            self.tabu, self.best_st, self.params, self.state, self.values, self.scan, self.picks,
            self._trace, self.aux, self.short, self.short_key)
        spent = max(time.perf_counter() - started, 1e-9)
        if scans > 0:
            self.scan_budget = int(min(max(CHUNK_SECONDS * scans / spent, 1), 1 << 30))
        return int(done), STATUS[int(status)], [(int(s), _num(c)) for s, c in self._trace[:nt]]

    def _drop_scan(self) -> None:
        """Forget a step whose scan a kernel call left half done (the methods below reuse
        ``cand`` or change the schedule): the next step scans afresh."""
        self.scan[0] = -1

    def moves(self) -> np.ndarray:
        """Every move of the current schedule's neighbourhood as rows (op, machine, after,
        duration, exact cost, tie-break) (for tests and inspection)."""
        mk = int(self.state[4])
        self._drop_scan()
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
        self._drop_scan()
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
        self._drop_scan()
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
