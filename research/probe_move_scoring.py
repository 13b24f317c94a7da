"""Can a learned move score beat its teacher per step? A probe for issue 20's goal 2.

    python research/probe_move_scoring.py --run-dir runs/move-scoring \\
        --out research/results/move_scoring.md

The teacher is tabu search over N7 whose choice is the lowest makespan after the move, ties
broken by the lowest pressure (``rewriter solve --policy tabu --moves n7 --tie-break pressure``).
Here the choice is the lowest *score*

    score = (makespan after - makespan) / makespan + sum_j weight_j * feature_j

over exact features of the schedule after each move (below). With every weight 0 but a tiny
pressure weight it is the teacher's rule; the tabu list, tenure and aspiration are the teacher's.
The weights are learned by the cross-entropy method (a population of weight vectors drawn around a
mean, the mean moved to the best quarter), each scored by the mean gap after ``--steps`` moves on
fresh random 30x20 and 50x20 instances (the same instances and seeds for the whole population of
a generation). It starts from the teacher's rule, so what it learns is an improvement operator.

Then every method runs from the MWKR schedule on the test instances with ``--eval-seeds``: the
teacher (the package's own tabu kernel), the rule in this kernel (weights 0) and the learned
weights; the table gives the mean gap to the best-known upper bound and, for every method, the
paired difference from the teacher. ``--two-ply`` adds an exact two-move look-ahead rule (each
move scored by the best makespan any N7 move reaches after it; about 20x slower), seed 0 only.
``--rollout W,H`` adds a rollout over the rule and one over the learned score (policy
improvement at decision time: at each step the ``W`` admissible moves of lowest score, the
search's own choice first, are each made on a copy and followed by ``H`` moves of the one-ply
search; the move after which the search would hold the lowest best makespan is made, the
search's own choice on a tie: its best so far counts, so once no continuation beats it the
rollout follows the rule; ``--rollout W,H,own`` compares the continuations by their own lowest
makespan instead, so the look-ahead keeps steering), on ``--rollout-seeds``. ``--results`` keeps
every test run in a JSON-lines file as it ends; a rerun measures only what is missing.

Training writes ``config.json`` (with the version, commit and command), ``log.jsonl`` (one line per
generation), ``curves.png``, ``weights.json`` and ``state.json``
(mean, spread, generator state; ``--resume`` continues from it) under ``--run-dir``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from numba import njit

from rewriter import __version__
from rewriter.atomic import atomic_open
from rewriter.core.charts import save_training_curves
from rewriter.learn.checkpoint import git_commit
from rewriter.compare.grid import append_result, set_aside_torn_line
from rewriter.core.progress import Progress, mode_for
from rewriter.jssp.search_kernels import (_candidate_moves, _move_and_evaluate, _outcome,
                                             new_tabu_table, tabu_lookup, tabu_store)
from rewriter.jssp import kernels as K
from rewriter.jssp.bundled import expand_instance_names, load_instance
from rewriter.jssp.generate import random_instance
from rewriter.jssp.solve import TabuSettings, initial_solution, solve

#: the features after a move, in the order of the weights (the makespan change has weight 1)
FEATURES = ("pressure", "critical share", "share within 2% of the makespan", "insertion",
            "moved operation moved within the tenure", "excess over the best",
            "share within 5% of the makespan", "mean slack", "partner moved within the tenure")
TEACHER = np.array([1e-7] + [0.0] * (len(FEATURES) - 1))  # pressure breaks makespan ties only
#: initial spread of the search distribution per weight (about the scale where a feature matters)
SPREAD = np.array([0.3, 0.03, 0.03, 0.002, 0.002, 0.02, 0.03, 0.1, 0.002])


# The kernels below are not cached: numba's cache would tie them to the module name they were
# first compiled under, and this file runs both as a script (__main__) and as a module the tests
# load from its path, which then cannot re-import it ("No module named '<dynamic>'").

@njit
def move_features(x, w, duration, job_pred, job_succ, order, position, mach_pred, mach_succ,
                  heads, tails, topo, indegree, makespan, best, moved_at, clock, tenure, out):
    """Makespan after moving ``x`` to the far side of ``w`` (-1 on a cycle) and, in ``out``, its
    change and the :data:`FEATURES`; the solution's arrays end unchanged, the rest is scratch."""
    left = K.relocate(x, position[w], order, position, mach_pred, mach_succ)
    after = K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads, topo,
                                 indegree)
    if after >= 0:
        K.tails_from_topo(duration, job_succ, mach_succ, topo, tails)
    K.relocate(x, left, order, position, mach_pred, mach_succ)
    if after < 0:
        return -1
    n = duration.shape[0]
    c = max(makespan, 1)
    squares = slack = 0.0
    critical = near2 = near5 = 0
    for v in range(n):
        length = heads[v] + duration[v] + tails[v]  # the longest path through v
        squares += (length / c) ** 2
        slack += (after - length) / max(after, 1)
        critical += length == after
        near2 += length * 50 >= after * 49
        near5 += length * 20 >= after * 19
    out[0] = (after - makespan) / c
    out[1] = squares / n
    out[2] = critical / n
    out[3] = near2 / n
    out[4] = 0.0 if (mach_succ[x] == w or mach_pred[x] == w) else 1.0
    out[5] = 1.0 if clock - moved_at[x] < tenure else 0.0
    out[6] = max(0, after - best) / c
    out[7] = near5 / n
    out[8] = slack / n
    out[9] = 1.0 if clock - moved_at[w] < tenure else 0.0
    return after


@njit
def _score(u, v, weights, lookahead, duration, job_pred, job_succ, order, position, mach_pred,
           mach_succ, sh, st, stopo, indegree, makespan, best, moved_at, clock, tenure, f, path2,
           blocks2, moves2, sh2, stopo2):
    """The move's score (inf when it makes a cycle) and its makespan after."""
    after = move_features(u, v, duration, job_pred, job_succ, order, position, mach_pred,
                          mach_succ, sh, st, stopo, indegree, makespan, best, moved_at, clock,
                          tenure, f)
    if after < 0:
        return np.inf, after
    if not lookahead:
        s = f[0]
        for j in range(weights.shape[0]):
            s += weights[j] * f[j + 1]
        return s, after
    # two-ply: the best makespan after this move and one more N7 move (sh holds its heads)
    left = K.relocate(u, position[v], order, position, mach_pred, mach_succ)
    length = K.critical_path(duration, job_pred, mach_pred, sh, after, path2)
    k2 = K.n7_moves(path2, length, mach_succ, job_succ, blocks2, moves2)
    reach = after
    for j in range(k2):
        x = moves2[j, 0]
        back = K.relocate(x, position[moves2[j, 1]], order, position, mach_pred, mach_succ)
        a2 = K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, sh2, stopo2,
                                  indegree)
        K.relocate(x, back, order, position, mach_pred, mach_succ)
        if 0 <= a2 < reach:
            reach = a2
    K.relocate(u, left, order, position, mach_pred, mach_succ)
    return reach + 1e-3 * after, after


@njit
def _choose(k, moves, weights, lookahead, duration, job_pred, job_succ, order, position,
            mach_pred, mach_succ, sh, st, stopo, indegree, makespan, best, moved_at, step,
            tenure_min, table, f, path2, blocks2, moves2, sh2, stopo2, scores, draw):
    """The admissible move of lowest score, -1 if none; ties drawn at random when ``draw``, else
    the first. ``scores[i]`` is each move's score, inf for a move that makes a cycle or is tabu
    without beating the best."""
    n = duration.shape[0]
    chosen, lowest, ties = -1, np.inf, 0
    for i in range(k):
        u, v = moves[i, 0], moves[i, 1]
        s, after = _score(u, v, weights, lookahead, duration, job_pred, job_succ, order,
                          position, mach_pred, mach_succ, sh, st, stopo, indegree, makespan,
                          best, moved_at, step, tenure_min, f, path2, blocks2, moves2, sh2,
                          stopo2)
        scores[i] = np.inf
        if after < 0 or (after >= best and tabu_lookup(table, u * n + v) > step):
            continue
        scores[i] = s
        if s < lowest - 1e-12:
            chosen, lowest, ties = i, s, 1
        elif s <= lowest + 1e-12 and draw:
            ties += 1  # reservoir sampling among equal scores
            if np.random.randint(0, ties) == 0:
                chosen = i
    return chosen


@njit
def _any_acyclic(k, moves, duration, job_pred, job_succ, order, position, mach_pred, mach_succ,
                 heads, tails, stack, seen, sh, stopo, indegree, draw):
    """Everything tabu: an acyclic move, -1 if none was found; eight random tries when
    ``draw``, else the first eight moves in order."""
    for j in range(8 if draw else min(8, k)):
        i = np.random.randint(0, k) if draw else j
        if _outcome(moves[i, 0], moves[i, 1], duration, job_pred, job_succ, order, position,
                    mach_pred, mach_succ, heads, tails, stack, seen, sh, stopo, indegree,
                    False) >= 0:
            return i
    return -1


@njit
def _make(u, v, step, order, position, duration, job_pred, job_succ, mach_pred, mach_succ, heads,
          tails, topo, topo_pos, indegree, stack, seen, until, table, moved_at):
    """Make the move, tabu until step ``until``; returns the new makespan and the table (a new
    one when it had to grow)."""
    n = duration.shape[0]
    job_last = np.nonzero(job_succ < 0)[0]  # every job's last operation, in job order
    makespan = _move_and_evaluate(u, v, order, position, duration, job_pred, job_succ, job_last,
                                  mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree,
                                  stack, seen, K.pending_bits(n), K.local_update(n, n))
    table = tabu_store(table, v * n + u, until, step)
    table = tabu_store(table, u * n + v, until, step)
    moved_at[u] = moved_at[v] = step
    return makespan, table


@njit
def _follow(first, horizon, own, weights, step, order, machine_start, duration, job_pred,
            job_succ, position, mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree,
            stack, seen, makespan, best, tenure_min, tenure_max, table, moved_at, sh, st, stopo,
            f, path2, blocks2, moves2, sh2, stopo2):
    """The best makespan the search would hold (its best so far ``best`` included) after making
    move ``first`` and then ``horizon`` moves of the one-ply rule; with ``own``, the lowest
    makespan of that continuation alone. All on copies: the caller's search is left as it was.
    It draws no random numbers (first of equal scores, mid-range tenure), so it leaves the
    caller's stream alone too: a rollout that tries only the rule's own move is the rule, move
    for move."""
    tenure = (tenure_min + tenure_max) // 2
    order, position = order.copy(), position.copy()
    mach_pred, mach_succ = mach_pred.copy(), mach_succ.copy()
    heads, tails, topo, topo_pos = heads.copy(), tails.copy(), topo.copy(), topo_pos.copy()
    table, moved_at, seen = table.copy(), moved_at.copy(), seen.copy()
    n = duration.shape[0]
    job_last = np.nonzero(job_succ < 0)[0]  # every job's last operation, in job order
    path, blocks = np.empty(n, np.int64), np.empty(n + 1, np.int64)
    moves, scores = np.empty((4 * n + 4, 2), np.int64), np.empty(4 * n + 4)
    makespan, table = _make(first[0], first[1], step, order, position, duration, job_pred,
                            job_succ, mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree,
                            stack, seen, step + tenure, table, moved_at)
    best, lowest = min(best, makespan), makespan
    for t in range(step + 1, step + 1 + horizon):
        k = _candidate_moves(3, order, machine_start, duration, job_pred, job_succ, job_last, n,
                             mach_pred, mach_succ, heads, makespan, path, blocks, moves)
        if k == 0:
            break
        i = _choose(k, moves, weights, False, duration, job_pred, job_succ, order, position,
                    mach_pred, mach_succ, sh, st, stopo, indegree, makespan, best, moved_at, t,
                    tenure_min, table, f, path2, blocks2, moves2, sh2, stopo2, scores, False)
        if i < 0:
            i = _any_acyclic(k, moves, duration, job_pred, job_succ, order, position, mach_pred,
                             mach_succ, heads, tails, stack, seen, sh, stopo, indegree, False)
        if i < 0:
            break
        makespan, table = _make(moves[i, 0], moves[i, 1], t, order, position, duration, job_pred,
                                job_succ, mach_pred, mach_succ, heads, tails, topo, topo_pos,
                                indegree, stack, seen, t + tenure, table, moved_at)
        best, lowest = min(best, makespan), min(lowest, makespan)
    return lowest if own else best


@njit
def scored_tabu(n_steps, weights, lookahead, width, horizon, own, seed, order, machine_start,
                duration, job_pred, job_succ, position, mach_pred, mach_succ, heads, tails, topo,
                indegree, path, blocks, moves, stack, seen, makespan, tenure_min, tenure_max,
                table, checkpoints, out_best):
    """Tabu search over N7 choosing the lowest score; ``out_best[i]`` = best makespan after
    ``checkpoints[i]`` moves. With ``width`` > 0 each step is a rollout: the ``width`` admissible
    moves of lowest score (the rule's own choice first) are each followed for ``horizon`` moves
    of the rule, and the one after which the search would hold the lowest best makespan is made
    (with ``own``: whose continuation alone reached the lowest makespan); the first of equals,
    so ties go to the rule."""
    np.random.seed(seed)
    n = duration.shape[0]
    job_last = np.nonzero(job_succ < 0)[0]  # every job's last operation, in job order
    topo_pos = np.empty(n, np.int64)
    K.topo_positions(topo, topo_pos)
    sh, st, stopo = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    path2, blocks2 = np.empty(n, np.int64), np.empty(n + 1, np.int64)
    moves2, sh2, stopo2 = np.empty((4 * n + 4, 2), np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    scores = np.empty(4 * n + 4)
    moved_at = np.full(n, -(1 << 40), np.int64)
    f = np.empty(weights.shape[0] + 1)
    best = makespan
    ci = 0
    for step in range(n_steps):
        k = _candidate_moves(3, order, machine_start, duration, job_pred, job_succ, job_last, n,
                             mach_pred, mach_succ, heads, makespan, path, blocks, moves)
        if k == 0:
            break
        chosen = _choose(k, moves, weights, lookahead, duration, job_pred, job_succ, order,
                         position, mach_pred, mach_succ, sh, st, stopo, indegree, makespan, best,
                         moved_at, step, tenure_min, table, f, path2, blocks2, moves2, sh2,
                         stopo2, scores, True)
        if chosen >= 0 and width > 0:
            scores[chosen] = -np.inf  # the rule's own choice is tried first
            tried = np.argsort(scores[:k], kind="mergesort")[:width]
            lowest = np.iinfo(np.int64).max
            for i in tried:
                if scores[i] == np.inf:
                    break
                reached = _follow(moves[i], horizon, own, weights, step, order, machine_start,
                                  duration, job_pred, job_succ, position, mach_pred, mach_succ,
                                  heads, tails, topo, topo_pos, indegree, stack, seen, makespan,
                                  best, tenure_min, tenure_max, table, moved_at, sh, st, stopo, f,
                                  path2, blocks2, moves2, sh2, stopo2)
                if reached < lowest:
                    chosen, lowest = i, reached
        if chosen < 0:
            chosen = _any_acyclic(k, moves, duration, job_pred, job_succ, order, position,
                                  mach_pred, mach_succ, heads, tails, stack, seen, sh, stopo,
                                  indegree, True)
        if chosen < 0:
            break
        until = step + tenure_min + np.random.randint(0, tenure_max - tenure_min + 1)
        makespan, table = _make(moves[chosen, 0], moves[chosen, 1], step, order, position,
                                duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails,
                                topo, topo_pos, indegree, stack, seen, until, table, moved_at)
        best = min(best, makespan)
        while ci < checkpoints.shape[0] and checkpoints[ci] == step + 1:
            out_best[ci] = best
            ci += 1
    out_best[ci:] = best


def run_scored(inst, weights, steps: list[int], seed: int, lookahead: bool = False,
               rollout: tuple = (0, 0)) -> np.ndarray:
    """Best makespan after each of ``steps`` moves of the scored search from MWKR;
    ``rollout`` = (width, horizon) makes each step a rollout (width 0: none), and a third
    element ``"own"`` compares its continuations by their own lowest makespan."""
    sol = initial_solution(inst, "mwkr", "active", 0)
    low, high, _, _ = TabuSettings(tie_break="pressure").resolved(inst)
    out = np.zeros(len(steps), np.int64)
    scored_tabu(max(steps), np.asarray(weights, np.float64), lookahead, rollout[0], rollout[1],
                rollout[2:] == ("own",), seed, sol.order,
                inst.machine_start, inst.op_duration, inst.job_pred, inst.job_succ, sol.position,
                sol.mach_pred, sol.mach_succ, sol.heads, sol.tails, sol.topo, sol._indegree,
                sol._path, sol._blocks, sol._moves, sol._stack, sol._seen, sol.makespan, low,
                high, new_tabu_table(high), np.asarray(steps, np.int64), out)
    return out


def training_episode(job) -> float:
    weights, (n, m, seed), steps, search_seed = job
    inst = random_instance(n, m, seed=seed)
    # random instances have no known bound: the gap is to max(longest job, busiest machine)
    best = run_scored(inst, weights, [steps], search_seed)[0]
    return 100.0 * (best / inst.trivial_lower_bound() - 1)


def train(args, pool) -> np.ndarray:
    """The cross-entropy method from the teacher's weights; returns the final mean."""
    run = Path(args.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    state_file = run / "state.json"
    if args.resume and not state_file.exists():
        raise SystemExit(f"--resume: {state_file} does not exist (no training to continue)")
    if args.resume:
        state = json.loads(state_file.read_text())
        mean, spread, start = np.array(state["mean"]), np.array(state["spread"]), state["generation"]
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        config = json.loads((run / "config.json").read_text())
        config.setdefault("resumed", []).append(
            {"from_generation": start, "generations": args.generations,
             "git_commit": git_commit(), "command": " ".join(sys.argv)})
        with atomic_open(run / "config.json") as fh:
            json.dump(config, fh, indent=1)
    else:
        mean, spread, start = TEACHER.copy(), SPREAD.copy(), 0
        rng = np.random.default_rng(args.seed)
        with atomic_open(run / "config.json") as fh:
            json.dump({**vars(args), "features": FEATURES, "version": __version__,
                       "git_commit": git_commit(), "command": " ".join(sys.argv)}, fh, indent=1)
        (run / "log.jsonl").unlink(missing_ok=True)
    elite = max(1, args.population // 4)
    for gen in range(start, args.generations):
        t0 = time.perf_counter()
        sizes = [(30, 20, 1000 + 10 * gen + i) for i in range(args.train_30)] + \
                [(50, 20, 5000 + 10 * gen + i) for i in range(args.train_50)]
        draws = [mean] + [mean + spread * rng.standard_normal(mean.size) for _ in range(args.population)]
        jobs = [(w, s, args.train_steps, gen) for w in draws for s in sizes]
        gaps = np.array(list(pool.map(training_episode, jobs, chunksize=4))).reshape(len(draws), -1)
        score = gaps.mean(1)
        top = np.argsort(score[1:])[:elite] + 1
        mean = np.mean([draws[i] for i in top], axis=0)
        spread = 0.8 * spread + 0.2 * np.maximum(np.std([draws[i] for i in top], axis=0), 1e-6)
        row = {"generation": gen, "mean_gap": float(score[0]), "best_gap": float(score[top[0]]),
               "weights": mean.tolist(), "seconds": round(time.perf_counter() - t0, 1)}
        with open(run / "log.jsonl", "a") as fh:
            fh.write(json.dumps(row) + "\n")
        with atomic_open(state_file) as fh:
            json.dump({"generation": gen + 1, "mean": mean.tolist(), "spread": spread.tolist(),
                       "rng": rng.bit_generator.state}, fh)
        print(f"generation {gen}: gap of the mean {score[0]:.2f}, best draw {score[top[0]]:.2f} "
              f"({row['seconds']} s)", flush=True)
    with atomic_open(run / "weights.json") as fh:
        json.dump({"features": FEATURES, "weights": mean.tolist()}, fh, indent=1)
    plot_curves(run)
    return mean


def plot_curves(run: Path) -> None:
    """``curves.png``: each generation's gap of the mean and of its best draw (each generation
    draws fresh instances, so the curve is noisy; the test at the end is the measurement)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key, label in (("mean_gap", "the mean's weights"), ("best_gap", "best draw")):
        ax.plot([r["generation"] for r in rows], [r[key] for r in rows], "o-", ms=3, label=label)
    ax.set(xlabel="generation", ylabel="gap % to the trivial bound, 500 moves",
           title="cross-entropy training of the move score")
    ax.legend()
    fig.tight_layout()
    save_training_curves(fig, run / "curves.png")


def read_weights(path: str) -> np.ndarray:
    """The weights of a ``weights.json`` written by training; one clear message if it is not."""
    try:
        weights = np.array(json.loads(Path(path).read_text())["weights"], np.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"--weights {path}: not a weights.json of this probe ({exc})") from None
    if weights.shape != TEACHER.shape:
        raise SystemExit(f"--weights {path}: expected {TEACHER.size} weights, got {weights.size}")
    return weights


def job_key(job) -> str:
    """What identifies a test run in a ``--results`` file: its settings and the package version
    (not the code: a changed kernel needs a new file)."""
    name, method, weights, steps, seed, rollout = job  # rollout: (width, horizon[, "own"])
    weights = None if weights is None else [float(w) for w in weights]
    return json.dumps([name, method, weights, list(steps), seed, list(rollout), __version__])


def read_results(path: str | None) -> dict:
    """The runs a ``--results`` file already holds, by :func:`job_key`; {} without one."""
    if path is None or not Path(path).exists():
        return {}
    if not Path(path).is_file():
        raise SystemExit(f"--results {path}: not a regular file")
    set_aside_torn_line(path, check_record=False)  # a run killed mid-write: keep what is whole
    done = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        try:
            run = json.loads(line)
            done[run["key"]] = run
        except (ValueError, KeyError, TypeError):
            raise SystemExit(f"--results {path}, line {number}: expected a run of this probe "
                             "(one JSON object with a key per line)") from None
    return done


def run_jobs(pool, jobs: list, results: str | None) -> list[dict]:
    """Every job's run, in job order: those in ``results`` read back, the others measured and
    appended to it as each ends (so an interrupted test resumes where it stopped)."""
    done = read_results(results)
    todo = [job for job in jobs if job_key(job) not in done]
    progress = Progress(len(todo), "test runs", "runs", mode=mode_for(None))
    for run in _as_they_end(pool, todo):
        done[run["key"]] = run
        if results:
            append_result(results, run)
        progress.update()
    progress.close()
    return [done[job_key(job)] for job in jobs]


def _as_they_end(pool, jobs: list):
    """Each job's run as it ends: one after another in this process, or from the pool's workers."""
    if isinstance(pool, InProcess):
        return map(measure_run, jobs)
    return (f.result() for f in as_completed([pool.submit(measure_run, job) for job in jobs]))


def measure_run(job) -> dict:
    name, method, weights, steps, seed, rollout = job
    inst = load_instance(name)
    if method == "teacher":  # the package's tabu kernel, as bench_learned's tabu-pressure
        r = solve(inst, policy="tabu", moves="n7", steps=max(steps), seed=seed,
                  tabu=TabuSettings(tie_break="pressure"))
        best = [min([b for s, _, b in r.trace if s <= k]) for k in steps]
    else:
        best = run_scored(inst, weights, steps, seed, lookahead=method == "two-ply",
                          rollout=rollout).tolist()
    return {"key": job_key(job), "instance": name, "method": method, "seed": seed,
            "gaps": [100.0 * (b / inst.upper_bound - 1) for b in best]}


def report(runs, classes, steps) -> str:
    methods = list(dict.fromkeys(r["method"] for r in runs))
    lines = ["| method | " + " | ".join(f"{c}, {k} steps" for c in classes for k in steps) + " |",
             "|---|" + "---|" * (len(classes) * len(steps))]
    for m in methods:
        cells = []
        for c in classes:
            for i, _ in enumerate(steps):
                g = [r["gaps"][i] for r in runs if r["method"] == m and r["instance"] in classes[c]]
                cells.append(f"{statistics.mean(g):.2f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    key = {(r["instance"], r["seed"], r["method"]): r["gaps"] for r in runs}
    # every method against the teacher; the learned score against the same search with the rule
    pairs = [(m, "teacher") for m in methods if m != "teacher"] + \
        [(a, b) for a, b in (("learned", "rule"), ("rule rollout", "rule"),
                             ("learned rollout", "rule rollout"), ("rule rollout, own", "rule"),
                             ("learned rollout, own", "rule rollout, own"),
                             ("rule rollout, own", "rule rollout"),
                             ("learned rollout, own", "learned rollout"))
         if a in methods and b in methods]
    for other, base in pairs:
        lines += ["", f"Paired (same instance and seed), {other} - {base}: mean (sd), standard "
                      "error of the mean over instances, wins / ties / losses", ""]
        for c, names in classes.items():
            for i, k in enumerate(steps):
                by_instance = {}
                for (n, s, m) in key:
                    if m == base and n in names and (n, s, other) in key:
                        by_instance.setdefault(n, []).append(key[(n, s, other)][i]
                                                             - key[(n, s, base)][i])
                d = [x for runs_of in by_instance.values() for x in runs_of]
                if d:
                    lines.append(f"- {c}, {k} steps: {statistics.mean(d):+.2f} "
                                 f"({statistics.pstdev(d):.2f}), "
                                 f"{instance_error(by_instance.values())}, "
                                 f"{sum(x < 0 for x in d)} / {sum(x == 0 for x in d)} / "
                                 f"{sum(x > 0 for x in d)}")
    return "\n".join(lines)


def instance_error(differences) -> str:
    """The standard error of a mean difference with the seeds of an instance averaged first
    (they share the instance, so they are not independent pairs); '-' below two instances."""
    means = [statistics.mean(d) for d in differences]
    if len(means) < 2:
        return "se -"
    return f"se {statistics.stdev(means) / len(means) ** 0.5:.2f}"


class InProcess:
    """``--workers 1``: the jobs run one after another in this process (no pickling, so the probe
    also runs when it was loaded from its path rather than imported by name)."""

    def map(self, fn, jobs, chunksize=1):
        return map(fn, jobs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def parse_rollout(text: str) -> tuple:
    """``WIDTH,HORIZON[,own]`` as (width, horizon[, "own"]); one clear message if not."""
    parts = text.split(",")
    own = parts[2:] == ["own"]
    try:
        if len(parts) != 2 and not own:
            raise ValueError
        width, horizon = (int(x) for x in parts[:2])
    except ValueError:
        raise SystemExit(f"--rollout {text}: expected WIDTH,HORIZON (two integers), optionally "
                         "followed by ,own") from None
    if width < 1 or horizon < 0:
        raise SystemExit(f"--rollout {text}: expected WIDTH >= 1 and HORIZON >= 0")
    return (width, horizon, "own") if own else (width, horizon)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default="runs/move-scoring", help="training output directory")
    p.add_argument("--resume", action="store_true", help="continue the training in --run-dir")
    p.add_argument("--weights", help="a weights.json to test instead of training")
    p.add_argument("--generations", type=int, default=25, help="cross-entropy generations")
    p.add_argument("--population", type=int, default=16, help="weight vectors drawn per generation")
    p.add_argument("--train-30", type=int, default=8, help="random 30x20 instances per generation")
    p.add_argument("--train-50", type=int, default=4, help="random 50x20 instances per generation")
    p.add_argument("--train-steps", type=int, default=500, help="moves per training episode")
    p.add_argument("--instances", default="ta41-50;ta61-70",
                   help="test classes, ';'-separated instance specs")
    p.add_argument("--steps", default="200,500", help="step counts reported")
    p.add_argument("--eval-seeds", default="0,1,2,3,4", help="test seeds")
    p.add_argument("--two-ply", action="store_true", help="add the two-ply look-ahead rule (seed 0)")
    p.add_argument("--rollout", metavar="WIDTH,HORIZON[,own]", action="append",
                   help="add rollouts over the rule and over the learned score: each step tries "
                        "the WIDTH moves of lowest score, each followed by HORIZON moves of the "
                        "one-ply search, and makes the one that leaves the lowest best makespan "
                        "(with ,own: whose continuation alone reached the lowest makespan; "
                        "cost: about WIDTH x HORIZON moves); may be given twice")
    p.add_argument("--rollout-seeds", default="0", help="test seeds of the rollouts")
    p.add_argument("--workers", type=int, default=2, help="processes (1: all in this one)")
    p.add_argument("--seed", type=int, default=0, help="seed of the training draws")
    p.add_argument("--out", help="save the table as markdown")
    p.add_argument("--results", help="a JSON-lines file of test runs: runs already in it are "
                                     "not run again, new ones are appended as they end. A run "
                                     "is matched by its settings and the package version, not "
                                     "by the code: after changing a kernel, start a new file")
    args = p.parse_args(argv)
    steps = sorted(int(s) for s in args.steps.split(","))
    seeds = [int(s) for s in args.eval_seeds.split(",")]
    rollouts = [parse_rollout(text) for text in args.rollout or []]
    classes = {spec: expand_instance_names(spec) for spec in args.instances.split(";")}
    with (ProcessPoolExecutor(args.workers) if args.workers > 1 else InProcess()) as pool:
        if args.weights:
            weights = read_weights(args.weights)
        else:
            weights = train(args, pool)
        names = [n for group in classes.values() for n in group]
        jobs = [(n, m, w, steps, s, (0, 0)) for n in names for s in seeds
                for m, w in (("teacher", None), ("rule", TEACHER), ("learned", weights))]
        if args.two_ply:
            jobs += [(n, "two-ply", TEACHER, steps, 0, (0, 0)) for n in names]
        # last, seed by seed: the runs of a first seed are whole early on
        jobs += [(n, f"{m}{', own' if r[2:] else ''}", w, steps, int(s), r)
                 for s in args.rollout_seeds.split(",") for r in rollouts for n in names
                 for m, w in (("rule rollout", TEACHER), ("learned rollout", weights))]
        runs = run_jobs(pool, jobs, args.results)
    text = report(runs, classes, steps)
    weights_text = ", ".join(f"{f} {w:+.4g}" for f, w in zip(FEATURES, weights))
    rollout_text = " and ".join(args.rollout or [])
    text = (f"Gap % to the best-known upper bound from MWKR, N7 moves, seeds {args.eval_seeds}"
            f"{' (two-ply: seed 0)' if args.two_ply else ''}"
            f"{f' (rollouts {rollout_text}: seeds {args.rollout_seeds})' if rollouts else ''}."
            f"\nLearned weights: {weights_text}"
            f"\n\n{text}\n")
    print(text)
    if args.out:
        with atomic_open(args.out) as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted: the test runs that ended are in --results, and the same command "
              "continues from them", file=sys.stderr)
        raise SystemExit(130) from None
