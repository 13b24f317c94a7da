"""A third problem defined only here, to prove the registry: single-machine total weighted
tardiness with adjacent swaps. Nothing outside tests/ knows it exists.

An instance ``smtwt-N-SEED`` has N jobs with a processing time, a weight and a due date; a
solution is the order of the jobs on the machine; the cost is sum w_j max(0, C_j - d_j). A rewrite
swaps two neighbours in the order (region: the earlier job, partner: the later one).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from rewriter.core.loop import Stepper, run
from rewriter.core.problem import Graph, RewriteProblem, RewriteState
from rewriter.core.result import Result
from rewriter.core.spec import Method, Option, ProblemSpec
from rewriter.errors import InputError


@dataclass
class Instance:
    name: str
    p: np.ndarray
    w: np.ndarray
    d: np.ndarray
    metadata: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.p)


def random_instance(n: int, seed: int, name: str | None = None) -> Instance:
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 10, n)
    return Instance(name or f"smtwt-{n}-{seed}", p, rng.integers(1, 5, n),
                    rng.integers(0, int(p.sum()) + 1, n))


def tardiness(inst: Instance, order) -> int:
    """The obvious computation, used as the exact check."""
    t, total = 0, 0
    for j in order:
        t += int(inst.p[j])
        total += int(inst.w[j]) * max(0, t - int(inst.d[j]))
    return total


class State(RewriteState):
    node_features = 4
    pair_features = 2

    def __init__(self, inst: Instance, order):
        self.inst, self.order = inst, list(order)

    def cost(self) -> float:
        return float(tardiness(self.inst, self.order))

    def cost_scale(self) -> float:
        return float(max(self.inst.p.sum() * self.inst.w.sum() / 4, 1))

    def graph(self) -> Graph:
        inst, n = self.inst, self.inst.n
        scale = float(inst.p.sum())
        feats = np.zeros((n, 4), np.float32)
        parents = np.full((n, 1), -1, np.int64)
        level = np.zeros(n, np.int64)
        t = 0
        for k, j in enumerate(self.order):
            t += int(inst.p[j])
            feats[j] = (inst.p[j] / scale, inst.w[j] / 5, inst.d[j] / scale, max(0, t - inst.d[j]) / scale)
            if k:
                parents[j, 0] = self.order[k - 1]
            level[j] = k
        return Graph(feats, parents, level)

    def candidates(self):
        pairs = np.array([(self.order[k], self.order[k + 1]) for k in range(self.inst.n - 1)],
                         np.int64).reshape(-1, 2)
        now = self.cost()
        feats = np.zeros((len(pairs), 2), np.float32)
        for i, (a, b) in enumerate(pairs.tolist()):
            trial = self.copy()
            trial.apply(a, b)
            change = (trial.cost() - now) / self.cost_scale()
            feats[i] = (change, change < 0)
        return pairs, feats

    def apply(self, region: int, partner: int) -> bool:
        k = self.order.index(region)
        if k + 1 >= len(self.order) or self.order[k + 1] != partner:
            return False
        self.order[k], self.order[k + 1] = partner, region
        return True

    def copy(self) -> "State":
        return State(self.inst, self.order)


class Problem(RewriteProblem):
    name = "smtwt"
    init_rules = ("edd", "spt")

    def sample_instance(self, rng, size=None):
        return random_instance(int(size or 6), int(rng.integers(2**31)))

    def initial_state(self, instance, init, seed=0):
        key = instance.d if init == "edd" else instance.p
        return State(instance, [int(j) for j in np.argsort(key, kind="stable")])


def load_instance(text: str) -> Instance:
    parts = text.split("-")
    if len(parts) != 3 or parts[0] != "smtwt" or not all(x.isdigit() for x in parts[1:]):
        raise InputError(f"{text}: expected an instance name smtwt-JOBS-SEED")
    return random_instance(int(parts[1]), int(parts[2]))


def make_result(inst, state, method, init, init_cost, steps, seed, runtime, status, trace, info=None):
    value = tardiness(inst, state.order)
    assert value == state.cost()  # the independent check of every returned schedule
    return Result("smtwt", inst, state, "tardiness", {"tardiness": value}, method, init,
                  init_cost, steps, seed, runtime, status, trace, 0, info or {}, {"n_jobs": inst.n},
                  {"sequence": list(state.order)})


def solve(inst, *, init="edd", policy="greedy", steps=50, time_limit=None, seed=0,
          progress=False, model="default", samples=1, decoding=None, **_):
    from rewriter.core.rewrite_search import descent_search, random_search
    from rewriter.learn.search import learned_search

    t0 = time.perf_counter()
    state = Problem().initial_state(inst, init)
    if policy == "none":
        c = state.cost()
        return make_result(inst, state, "dispatch", init, c, 0, seed, 0.0, "completed", [(0, 0.0, c)])
    if policy == "learned":
        from rewriter.learn.checkpoint import load_model

        if model in (None, "default"):
            raise InputError("smtwt ships no model; pass --model PATH")
        net, _ = load_model(model)
        out = learned_search(state, net, steps, seed=seed, time_limit=time_limit,
                             argmax=decoding != "sample", started=t0)
    elif policy == "random":
        out = random_search(state, steps, seed=seed, time_limit=time_limit, started=t0)
    else:
        out = descent_search(state, steps, time_limit=time_limit, started=t0)
    return make_result(inst, out.best, policy, init, out.initial_cost, out.steps, seed,
                       out.runtime_s, out.status, out.trace)


def check_schedule(inst, data, path):
    seq = data.get("sequence")
    if not isinstance(seq, list) or sorted(seq) != list(range(inst.n)):
        return [f"'sequence' must list each of the {inst.n} jobs once"], 0
    value = tardiness(inst, seq)
    if data.get("tardiness") != value:
        return [f"reported tardiness {data.get('tardiness')} != {value}"], value
    return [], value


def _rule(inst, *, rule, seed=0, **_):
    return solve(inst, init=rule, policy="none", seed=seed)


def _descent(inst, *, budget=None, init="edd", seed=0, **_):
    return solve(inst, init=init, policy="greedy", steps=None if budget is None else int(budget))


def methods():
    return {"edd": Method("edd", partial(_rule, rule="edd"), "earliest due date"),
            "spt": Method("spt", partial(_rule, rule="spt"), "shortest processing time"),
            "descent": Method("descent", _descent, "adjacent-swap descent", "steps", 50, True)}


SPEC = ProblemSpec(
    name="smtwt", title="single machine, total weighted tardiness (a test problem)",
    instance_type="tests.smtwt.Instance",
    objective="tardiness", load_instance=load_instance,
    recognizes=lambda text: text.startswith("smtwt-"), init_rules=("edd", "spt"),
    default_init="edd", policies=("learned", "greedy", "random", "none"), solve=solve,
    check_schedule=check_schedule, methods=methods,
    expand_instances=lambda text: [t.strip() for t in text.split(",") if t.strip()],
    group=lambda inst: f"n={inst.n}", rewrite_problem=lambda options: Problem(),
    default_steps=50, default_decoding="argmax",
    train_options=(Option("swap_span", 1, "how far apart swapped jobs may be (only 1 here)"),),
    train_presets={"sizes": ["6"], "validation_sizes": ["6"], "init_rules": ["edd", "spt"],
                   "validation_init": "edd"},
)
