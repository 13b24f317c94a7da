"""The crew problem's rewrite state (rewriter.crew.rewrite), checked against plain Python: every
candidate's exact price equals the objective of the routes the relocation makes, recomputed by
hand; the candidates are exactly the feasible relocations of the neighbourhood; refused moves
leave the state as it was; the graph is one chain per operator; every schedule passes the
validator. Then the learned policy end to end: training from the command line, solving, the
comparison methods."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter import registry
from rewriter.crew.dispatching import RULES
from rewriter.crew.instance import CrewInstance
from rewriter.crew.rewrite import (NODE_FEATURES, PAIR_FEATURES, CrewRewriteProblem, CrewState,
                                   parse_size, time_scale)
from rewriter.crew.schedule import TOLERANCE, CrewSchedule
from rewriter.crew.validate import violations
from rewriter.errors import InputError
from tests.test_crew_kernels import py_leg, py_objective, py_time

REL = 1e-9


# ---- plain Python oracle (legs, times and objectives: the kernels' test's) ----------------------
def py_feasible(inst, routes) -> bool:
    return all(py_time(inst, k, r) <= inst.capacity[k] + TOLERANCE for k, r in enumerate(routes))


def py_relocate(routes, n, v, partner):
    """The routes after moving v right after order ``partner`` (or to the front of operator
    ``partner - n``), or None when that changes nothing (or puts v after itself)."""
    if partner == v:
        return None
    new = [list(r) for r in routes]
    k1 = next(k for k, r in enumerate(new) if v in r)
    new[k1].remove(v)
    if partner >= n:
        new[partner - n].insert(0, v)
    else:
        k2 = next(k for k, r in enumerate(new) if partner in r)
        new[k2].insert(new[k2].index(partner) + 1, v)
    return None if new == [list(r) for r in routes] else new


def py_partners(state: CrewState, routes, v) -> set:
    """The partner nodes of order v: after and before each of its nearest orders, the fronts of
    its nearest operators (the module docstring's neighbourhood)."""
    n = state.instance.n_orders
    out = set()
    for u in state.fixed.near[v]:
        if u < 0:
            continue
        k, i = next((k, r.index(u)) for k, r in enumerate(routes) if u in r)
        out.add(int(u))
        out.add(routes[k][i - 1] if i > 0 else n + k)
    out.update(n + int(k) for k in state.fixed.near_ops[v] if k >= 0)
    return out


# ---- instances: awkward and small --------------------------------------------------------------
@st.composite
def tiny_instances(draw):
    """1-4 operators, 1-6 orders; coordinates on a coarse grid (coincident points are common),
    hours possibly zero, explicit matrices sometimes; capacities are a random assignment's
    route times plus a slack that is often zero, so the instance is feasible and tight."""
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 6))
    coord = st.integers(0, 3).map(float)
    orders = [[draw(coord), draw(coord)] for _ in range(n)]
    operators = [[draw(coord), draw(coord)] for _ in range(m)]
    hours = [draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])) for _ in range(n)]
    active = [draw(st.booleans()) for _ in range(m)]
    alpha = draw(st.sampled_from([0.0, 1.0, 2.0]))
    beta = draw(st.sampled_from([0.0, 1.0, 5.0]))
    matrices = {}
    if draw(st.booleans()) and n > 1:
        matrices["order_travel"] = np.array([[0.0 if i == j else draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))
                                              for j in range(n)] for i in range(n)])
    if draw(st.booleans()):
        matrices["start_travel"] = np.array([[draw(st.sampled_from([0.0, 1.0, 2.0]))
                                              for _ in range(n)] for _ in range(m)])
    assign = [draw(st.integers(0, m - 1)) for _ in range(n)]
    routes = [[i for i in range(n) if assign[i] == k] for k in range(m)]
    probe = CrewInstance("probe", orders, hours, operators, [1e9] * m, active, speed=2.0,
                         alpha=alpha, beta=beta, **matrices)
    slack = [draw(st.sampled_from([0.0, 0.0, 0.5, 3.0])) for _ in range(m)]
    capacity = [py_time(probe, k, routes[k]) + slack[k] for k in range(m)]
    inst = CrewInstance("tiny", orders, hours, operators, capacity, active, speed=2.0,
                        alpha=alpha, beta=beta, **matrices)
    return inst, routes


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(tiny_instances(), st.integers(1, 3), st.integers(1, 2), st.randoms(use_true_random=False))
def test_candidates_are_exactly_the_feasible_relocations_priced_exactly(case, near, near_ops, rnd):
    inst, routes = case
    state = CrewState(CrewSchedule(inst, routes), near, near_ops)
    n = inst.n_orders
    for _ in range(4):  # a few states along a random walk over the candidates
        routes = state.routes()
        assert state.cost() == pytest.approx(py_objective(inst, routes), rel=REL, abs=1e-9)
        pairs, feats = state.candidates()
        costs = state.candidate_costs()
        assert pairs.shape == (len(costs), 2) and feats.shape == (len(costs), len(PAIR_FEATURES))
        found = {(int(v), int(p)): k for k, (v, p) in enumerate(pairs)}
        assert len(found) == len(pairs)  # no pair twice
        for v in range(n):
            for partner in range(n + inst.n_operators):
                new = py_relocate(routes, n, v, partner)
                offered = (v, partner) in found
                if partner in py_partners(state, routes, v) and new is not None \
                        and py_feasible(inst, new):
                    assert offered, (v, partner, routes)
                    k = found[(v, partner)]
                    assert costs[k] == pytest.approx(py_objective(inst, new), rel=REL, abs=1e-9)
                    _check_pair_features(inst, state, routes, new, v, partner, feats[k])
                else:
                    assert not offered, (v, partner, routes)
                if new is None or not py_feasible(inst, new):  # refused, state unchanged
                    before = state.fingerprint()
                    assert not state.apply(v, partner)
                    assert state.fingerprint() == before and state.routes() == routes
        if not len(pairs):
            break
        k = rnd.randrange(len(pairs))
        trial = state.copy()
        assert trial.apply(*pairs[k])
        assert state.routes() == routes  # the copy is independent
        assert trial.cost() == pytest.approx(costs[k], rel=REL, abs=1e-9)
        assert not violations(inst, trial.routes(), {}, limit=None)
        assert trial.fingerprint() != state.fingerprint()
        state = trial


def _check_pair_features(inst, state, routes, new, v, partner, feats):
    f = dict(zip(PAIR_FEATURES, feats.tolist()))
    n = inst.n_orders
    k1 = next(k for k, r in enumerate(routes) if v in r)
    k2 = next(k for k, r in enumerate(new) if v in r)
    assert f["same_route"] == (k1 == k2)
    assert f["to_front"] == (partner >= n)
    assert f["activates"] == (not inst.active[k2] and not routes[k2])
    assert f["releases"] == (not inst.active[k1] and k1 != k2 and len(routes[k1]) == 1)
    t = time_scale(inst)
    total = sum(py_time(inst, k, r) for k, r in enumerate(new)) - sum(
        py_time(inst, k, r) for k, r in enumerate(routes))
    assert f["total_change"] == pytest.approx(total / t, rel=1e-5, abs=1e-5)
    slack = (inst.capacity[k2] - py_time(inst, k2, new[k2])) / t
    assert f["target_slack"] == pytest.approx(slack, rel=1e-5, abs=1e-5)
    assert f["target_slack"] >= -TOLERANCE
    into = py_leg(inst, k2, -1 if partner >= n else partner, v) / t
    assert f["leg"] == pytest.approx(into, rel=1e-5, abs=1e-5)
    assert f["improves"] == (py_objective(inst, new) < py_objective(inst, routes) - 1e-9)


@SETTINGS
@given(tiny_instances())
def test_graph_is_one_chain_per_operator_with_route_features(case):
    inst, routes = case
    state = CrewState(CrewSchedule(inst, routes))
    g = state.graph()
    n, m = inst.n_orders, inst.n_operators
    f = {name: g.features[:, i] for i, name in enumerate(NODE_FEATURES)}
    assert g.features.shape == (n + m, len(NODE_FEATURES)) and g.parents.shape == (n + m, 1)
    assert np.isfinite(g.features).all()
    times = [py_time(inst, k, r) for k, r in enumerate(routes)]
    span = max(times)
    for k, route in enumerate(routes):
        assert g.parents[n + k, 0] == -1 and g.level[n + k] == 0 and f["is_operator"][n + k] == 1
        for i, v in enumerate(route):
            assert g.parents[v, 0] == (route[i - 1] if i else n + k)
            assert g.level[v] == i + 1
            assert f["position"][v] == pytest.approx((i + 1) / len(route))
            assert f["hours"][v] == pytest.approx(inst.hours[v] / time_scale(inst), rel=1e-5)
        for node in [n + k, *route]:
            if span > 0:
                assert f["route_time"][node] == pytest.approx(times[k] / span, rel=1e-5, abs=1e-6)
            assert f["on_makespan"][node] == (times[k] >= span - 1e-9 * max(1, span))
            assert f["active"][node] == inst.active[k]
    # best_change: the best candidate per order, as pair feature 0
    pairs, feats = state.candidates()
    for v in range(n):
        mine = feats[pairs[:, 0] == v, 0]
        assert f["best_change"][v] == pytest.approx(mine.min() if len(mine) else np.log1p(100.0))


def test_one_operator_one_order_has_nothing_to_rewrite():
    inst = CrewInstance("one", [[1.0, 1.0]], [0.0], [[1.0, 1.0]], [0.0], [False], beta=3.0)
    state = CrewState(CrewSchedule(inst, [[0]]))
    pairs, feats = state.candidates()
    assert pairs.shape == (0, 2) and feats.shape == (0, len(PAIR_FEATURES))
    assert state.expert_choice() is None
    assert state.cost() == 3.0 and state.cost_scale() == 3.0  # beta alone: makespan 0
    assert not state.apply(0, 1) and not state.apply(0, 0)
    assert not state.apply(-1, 0) and not state.apply(0, 2) and not state.apply(1, 0)


def test_expert_is_the_least_objective_then_least_total_time():
    problem = CrewRewriteProblem()
    state = problem.initial_state(problem.sample_instance(np.random.default_rng(3), "20x4"),
                                  "nearest")
    pairs, feats = state.candidates()
    costs = state.candidate_costs()
    k = state.expert_choice()
    assert costs[k] == costs.min()
    total = feats[:, PAIR_FEATURES.index("total_change")]
    assert total[k] == total[costs == costs.min()].min()


def test_problem_sizes_rules_and_defaults():
    problem = CrewRewriteProblem()
    assert problem.init_rules == RULES
    assert parse_size("50x8") == ("uniform", 50, 8)
    assert parse_size("c100x15") == ("clustered", 100, 15)
    for bad in ("50", "x8", "0x3", "50x0", "z50x8", "50x8x2", ""):
        with pytest.raises(InputError, match="ORDERSxOPERATORS"):
            parse_size(bad)
    with pytest.raises(InputError, match="neighbours"):
        CrewRewriteProblem(neighbours=0)
    rng = np.random.default_rng(0)
    inst = problem.sample_instance(rng, "c30x5")
    assert (inst.n_orders, inst.n_operators) == (30, 5)
    for rule in RULES:
        state = problem.initial_state(inst, rule, seed=1)
        assert not violations(inst, state.routes(), {}, limit=None)
    defaults = problem.training_defaults()
    for size in defaults["sizes"] + defaults["validation_sizes"]:
        parse_size(size)
    assert registry.get("crew").rewrite_problem({}).name == "crew"


# ---- the learned policy end to end ---------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A model trained for one iteration by ``rewriter train --problem crew``."""
    run = tmp_path_factory.mktemp("crew_rewriter") / "run"
    cmd = [sys.executable, "-m", "rewriter", "train", "--problem", "crew", "--run-dir", str(run),
           "--iterations", "1", "--episodes", "2", "--episode-steps", "4", "--sizes", "10x3",
           "--validation-sizes", "10x3", "--validation-per-size", "1",
           "--validation-steps", "5", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("config.json", "log.csv", "model.pt", "model.json", "checkpoint.pt"):
        assert (run / name).is_file(), name
    assert json.loads((run / "config.json").read_text())["config"]["problem"] == "crew"
    return run / "model.pt"


def test_learned_policy_solves_and_every_result_validates(tiny_model):
    from rewriter.api import load_instance, solve

    example = load_instance("crew_example_8x3")
    for decoding, samples in (("argmax", 1), ("sample", 2)):
        result = solve(example, policy="learned", model=str(tiny_model), steps=15,
                       decoding=decoding, samples=samples, seed=4)
        assert result.method == "rewriter" and result.steps <= 15
        assert result.values["cost"] <= result.init_cost + 1e-9
        routes = result.schedule["routes"]
        assert not violations(result.instance, routes, {}, limit=None)
    kept = solve(example, policy="learned", model=str(tiny_model), steps=0)
    start = solve(example, policy="none")
    assert kept.schedule["routes"] == start.schedule["routes"]


def test_learned_policy_refuses_other_models(tiny_model):
    from rewriter.api import load_instance, solve

    from rewriter.models import default_model_path

    example = load_instance("crew_example_8x3")

    with pytest.raises(InputError, match="trained for mrt"):
        solve(example, policy="learned", model=str(default_model_path("mrt")), steps=5)
    with pytest.raises(InputError):  # the crew network's file is no rewriting policy
        solve(example, policy="learned", model=str(default_model_path("crew")),
              steps=5)
    with pytest.raises(InputError, match="step budget or a time limit"):
        solve(example, policy="learned", model=str(tiny_model), steps=None)


def test_comparison_methods_and_the_shipped_model():
    spec = registry.get("crew")
    assert "learned" in spec.policies and spec.default_policy == "tabu"
    methods = spec.methods()
    assert {"rewriter", "rewriter-time"} <= set(methods)
    result = methods["rewriter"].run(registry.get("crew").load_instance("crew_u20x4_s1"),
                                     budget=20, init="nearest", seed=0)
    assert result.init == "nearest" and result.steps <= 20
    assert result.values["cost"] <= result.init_cost + 1e-9
    assert not violations(result.instance, result.schedule["routes"], {}, limit=None)


def test_rewrite_environment_runs_the_crew_problem():
    """``rewriter/Rewrite-v0`` over crew: a reward is the objective's decrease over the scale."""
    from rewriter.envs.rewrite import RewriteEnv

    env = RewriteEnv("crew", size="20x4", init="nearest", max_steps=6, normalize_reward=True)
    obs, info = env.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(6):
        legal = np.flatnonzero(obs["candidate_mask"])
        if not len(legal):
            break
        before = env.state.cost()
        obs, reward, terminated, truncated, info = env.step(int(rng.choice(legal)))
        assert reward == pytest.approx((before - env.state.cost()) / env.state.cost_scale())
        assert not violations(env.state.instance, env.state.routes(), {}, limit=None)
        if terminated or truncated:
            break
