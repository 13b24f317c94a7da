"""The crew network (rewriter.learn.crew): its graph against plain-Python nearest neighbours,
the attention and activation biases, decoding feasibility on awkward instances, a short
training run, the start rule end to end, and model files of another kind refused."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter import registry
from rewriter.crew.bundled import load_instance
from rewriter.crew.cpsat import label_dataset
from rewriter.crew.dispatching import RULES, build
from rewriter.crew.instance import CrewInstance
from rewriter.crew.schedule import CrewSchedule, route_time
from rewriter.crew.validate import check_crew_schedule
from rewriter.errors import InputError, NoSchedule
from rewriter.learn.checkpoint import save_model_file
from rewriter.learn.crew.decode import decode
from rewriter.learn.crew.graph import CrewState, build_graph, time_scale
from rewriter.learn.crew.calibrate import (calibration, choose_threshold, expected_activations,
                                           gate_table, threshold_of)
from rewriter.learn.crew.labels import Labelled, labelled_chunk, labelled_set
from rewriter.learn.crew.model import CrewNet, NetConfig, RelationAttention, batch_graphs
from rewriter.learn.crew.model_file import load_crew_model, save_crew_model
from rewriter.learn.crew.train import losses, make_batch

SMALL = NetConfig(hidden=8, heads=2, layers=2, head_hidden=8)


def _net(seed: int = 0) -> CrewNet:
    torch.manual_seed(seed)
    return CrewNet(SMALL).eval()


@st.composite
def instances(draw, max_orders=9, max_operators=4, explicit=False):
    """Random feasible instances: coordinates on a coarse grid (coincident points and tied
    distances happen), zero service hours allowed, capacities from a random witness
    assignment times a factor from exactly 1 (tight) to 1.5; idle and active operators."""
    n = draw(st.integers(1, max_orders))
    m = draw(st.integers(1, max_operators))
    coord = st.integers(0, 4).map(float)
    orders = np.array([[draw(coord), draw(coord)] for _ in range(n)])
    operators = np.array([[draw(coord), draw(coord)] for _ in range(m)])
    hours = np.array([draw(st.sampled_from([0.0, 0.5, 1.0, 2.5])) for _ in range(n)])
    active = np.array([draw(st.booleans()) for _ in range(m)])
    owner = np.array([draw(st.integers(0, m - 1)) for _ in range(n)])
    speed = draw(st.sampled_from([1.0, 2.0]))
    start_travel = order_travel = None
    if explicit:  # asymmetric matrices: the graph must use them, not the coordinates
        rng = np.random.default_rng(draw(st.integers(0, 1000)))
        start_travel = np.round(rng.uniform(0, 3, (m, n)), 1)
        order_travel = np.round(rng.uniform(0, 3, (n, n)), 1)
    probe = CrewInstance("probe", orders, hours, operators, np.full(m, 1e9), active, speed=speed,
                         start_travel=start_travel, order_travel=order_travel)
    witness = [np.flatnonzero(owner == k) for k in range(m)]
    times = CrewSchedule(probe, witness).times
    factor = draw(st.sampled_from([1.0, 1.0 + 1e-9, 1.1, 1.5]))
    capacity = times * factor
    return CrewInstance("random", orders, hours, operators, capacity, active, speed=speed,
                        alpha=draw(st.sampled_from([0.0, 1.0, 2.0])),
                        beta=draw(st.sampled_from([0.0, 1.0, 5.0])),
                        start_travel=start_travel, order_travel=order_travel)


def _partial_routes(draw, instance):
    routes = [[] for _ in range(instance.n_operators)]
    for i in range(instance.n_orders):
        k = draw(st.integers(-1, instance.n_operators - 1))
        if k >= 0:
            routes[k].append(i)
    return routes


# ---- the graph ----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_graph_edges_are_the_k_nearest(data, explicit):
    instance = data.draw(instances(max_orders=12, max_operators=5, explicit=explicit))
    routes = _partial_routes(data.draw, instance)
    k = data.draw(st.integers(1, 6))
    state = CrewState.of_routes(instance, routes)
    graph = build_graph(instance, state, k)
    scale = time_scale(instance)

    def travel(a, b):  # plain Python: the instance's definition of travel
        if instance.order_travel is not None:
            return float(instance.order_travel[a][b])
        (x0, y0), (x1, y1) = instance.orders[a], instance.orders[b]
        return math.hypot(x1 - x0, y1 - y0) / instance.speed

    def from_end(op, i):
        if routes[op]:
            return travel(routes[op][-1], i)
        if instance.start_travel is not None:
            return float(instance.start_travel[op][i])
        (x0, y0), (x1, y1) = instance.operators[op], instance.orders[i]
        return math.hypot(x1 - x0, y1 - y0) / instance.speed

    for i in range(instance.n_orders):
        near = sorted(travel(j, i) for j in range(instance.n_orders) if j != i)[:k]
        got = graph.order_order[0, graph.order_order[1] == i]
        assert i not in got.tolist() and len(set(got.tolist())) == len(got)
        assert sorted(travel(int(j), i) for j in got) == pytest.approx(near, abs=1e-9)
        assert np.allclose(graph.order_order_t[graph.order_order[1] == i],
                           [min(travel(int(j), i) / scale, 10) for j in got], atol=1e-5)
        ops = sorted(from_end(op, i) for op in range(instance.n_operators))[:k]
        got = graph.operator_order[0, graph.operator_order[1] == i]
        assert len(set(got.tolist())) == len(got)
        assert sorted(from_end(int(op), i) for op in got) == pytest.approx(ops, abs=1e-9)
        assert np.allclose(graph.operator_order_t[graph.operator_order[1] == i],
                           [min(from_end(int(op), i) / scale, 10) for op in got], atol=1e-5)
    assert graph.order_x[:, 3].tolist() == state.assigned.astype(float).tolist()


# ---- the biases ---------------------------------------------------------------------------------
def test_more_alpha_times_travel_lowers_the_edge_attention():
    torch.manual_seed(3)
    attention = RelationAttention(8, 2)
    h_src, h_dst = torch.randn(4, 8), torch.randn(1, 8)
    src, dst = torch.arange(4), torch.zeros(4, dtype=torch.long)
    travel = torch.tensor([0.1, 0.5, 1.0, 2.0])
    lengths = torch.tensor([4])

    def weights(alpha):
        with torch.no_grad():
            return attention.weights(h_src, h_dst, src, dst, travel, alpha, lengths)[0]

    low = weights(torch.full((4,), 0.1))
    high = weights(torch.full((4,), 0.9))
    assert torch.all(high[3] < low[3])     # the farthest edge loses weight on every head
    assert torch.all(high[0] > low[0])     # the nearest gains it
    one = torch.full((4,), 0.5)
    more = one.clone()
    more[1] = 1.0                          # alpha * T up on edge 1 alone
    assert torch.all(weights(more)[1] < weights(one)[1])


def test_beta_lowers_only_idle_operators_activation():
    instance = load_instance("crew_example_8x3")
    net = _net()
    graph = build_graph(instance)
    logits = []
    for beta_w in (0.0, 0.8):
        graph.beta_w = beta_w
        batch = batch_graphs([graph])
        with torch.no_grad():
            logits.append(net.activation_logits(batch, *net.encode(batch)))
    idle = ~instance.active
    assert idle.any() and (~idle).any()
    assert torch.all(logits[1][torch.from_numpy(idle)] < logits[0][torch.from_numpy(idle)])
    assert torch.equal(logits[1][torch.from_numpy(~idle)], logits[0][torch.from_numpy(~idle)])


# ---- decoding -----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(), instances(explicit=True)), st.sampled_from(["end", "cheapest"]),
       st.integers(0, 3))
def test_decoding_is_always_feasible(instance, placement, seed):
    net = _net(seed)
    try:
        decoded = decode(instance, net, refreshes=seed + 1, k=3, placement=placement)
    except NoSchedule:  # only when greedy construction is stuck everywhere
        for rule in RULES:
            with pytest.raises(NoSchedule):
                build(rule, instance)
        return
    routes = decoded.schedule.routes
    check_crew_schedule(instance, routes)
    served = np.sort(np.concatenate(routes))
    assert served.tolist() == list(range(instance.n_orders))


def _idle_called(schedule) -> int:  # plain Python: idle operators with a route
    return sum(1 for k, route in enumerate(schedule.routes)
               if len(route) and not schedule.instance.active[k])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_orders=10, max_operators=5), st.integers(0, 3))
def test_the_activation_gate(instance, seed):
    """tau 0 is no gate; tau 1 bars every idle operator, so each one called in came from the
    fallback insertion; any tau gives valid routes."""
    net = _net(seed)
    try:
        free = decode(instance, net, k=3, placement="cheapest")
    except NoSchedule:
        return
    zero = decode(instance, net, k=3, placement="cheapest", activation_threshold=0.0)
    assert [r.tolist() for r in zero.schedule.routes] == [r.tolist() for r in free.schedule.routes]
    for tau in (0.5, 1.0):
        gated = decode(instance, net, k=3, placement="cheapest", activation_threshold=tau)
        check_crew_schedule(instance, gated.schedule.routes)
        if tau == 1.0 and gated.rule is None:
            assert _idle_called(gated.schedule) <= gated.fallbacks


def _every_route_priced(instance, state, routes):
    """The fallback insertion as it was before routes were skipped: every route priced."""
    from rewriter.learn.crew.decode import _SLACK, _insertion_times

    open_orders = np.flatnonzero(~state.assigned)
    price = instance.beta / instance.alpha if instance.alpha > 0 else instance.beta * 1e6
    best = None
    for k, route in enumerate(routes):
        extra = price if (not instance.active[k] and not route) else 0.0
        added = _insertion_times(instance, k, route, open_orders)
        fits = state.used[k] + added <= instance.capacity[k] + _SLACK
        if fits.any():
            position, j = divmod(int(np.argmin(np.where(fits, added, np.inf))), open_orders.size)
            if best is None or float(added[position, j]) + extra < best[0]:
                best = (float(added[position, j]) + extra, k, position, int(open_orders[j]))
    if best is None:
        return None
    _, k, position, order = best
    routes[k].insert(position, order)
    if route_time(instance, k, routes[k]) > instance.capacity[k] + 1e-6:
        routes[k].pop(position)
        return None
    return k, order


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(max_orders=10, max_operators=5),
                 instances(max_orders=10, max_operators=5, explicit=True)), st.integers(0, 3))
def test_skipping_full_routes_changes_no_fallback_choice(instance, seed):
    """The fallback insertion skips routes no open order fits (the triangle inequality bounds
    an insertion's added time by the order's hours); the decode with every route priced makes
    the same routes. The gate at 1 bars idle operators, so fallbacks happen."""
    import rewriter.learn.crew.decode as module

    net = _net(seed)
    try:
        fast = decode(instance, net, k=3, placement="cheapest", activation_threshold=1.0)
    except NoSchedule:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_cheapest_insertion", _every_route_priced)
        slow = decode(instance, net, k=3, placement="cheapest", activation_threshold=1.0)
    assert [r.tolist() for r in fast.schedule.routes] == [r.tolist() for r in slow.schedule.routes]
    assert (fast.fallbacks, fast.rule) == (slow.fallbacks, slow.rule)


def test_the_gate_refuses_a_threshold_outside_0_1():
    with pytest.raises(ValueError, match="activation_threshold"):
        decode(load_instance("crew_example_8x3"), _net(), activation_threshold=1.5)


def test_decoding_one_order_one_operator():
    instance = CrewInstance("one", [[1.0, 0.0]], [2.0], [[0.0, 0.0]], [3.0], [False])
    decoded = decode(instance, _net())
    assert [r.tolist() for r in decoded.schedule.routes] == [[0]]
    assert decoded.schedule.objective == pytest.approx(3.0)


# ---- training -----------------------------------------------------------------------------------
def test_a_short_training_run_lowers_the_loss():
    items = [Labelled(inst, result.schedule, result.status, result.objective)
             for inst, result in label_dataset(2, 5, 2, seed=7, time_limit=1.0)]
    torch.manual_seed(0)
    net = CrewNet(SMALL)
    batch = make_batch(items, np.random.default_rng(0), 4)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)

    def loss():
        act, assign = losses(net, batch, 1.0, 1.0)
        return act + assign

    first = loss().item()
    for _ in range(40):
        value = loss()
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    assert loss().item() < 0.7 * first


# ---- the start rule and model files -------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return save_crew_model(tmp_path_factory.mktemp("crew") / "model.pt", _net(), {"note": "test"})


def test_network_start_rule_end_to_end(model_file):
    spec = registry.get("crew")
    assert "network" in spec.init_rules
    instance = load_instance("crew_example_8x3")
    result = spec.run(instance, init="network", policy="none", model=str(model_file))
    check_crew_schedule(instance, result.solution.routes)
    net, card = load_crew_model(model_file)
    assert card == {"note": "test"}
    expected = decode(instance, net, placement="cheapest").schedule  # the rule's default
    assert [r.tolist() for r in result.solution.routes] == [r.tolist() for r in expected.routes]


def test_decoding_stops_at_its_deadline():
    instance = load_instance("crew_example_8x3")
    assert decode(instance, _net(), deadline=0.0) is None  # perf_counter is past 0 already
    assert decode(instance, _net(), deadline=float("inf")) is not None


def test_a_time_limit_shorter_than_the_decoding_starts_from_the_rule(model_file):
    """The limit counts from ``started``: a clock started long ago leaves no time to decode,
    so the search starts from the insertion rule's routes, with a warning."""
    import time

    instance = load_instance("crew_example_8x3")
    spec = registry.get("crew")
    with pytest.warns(UserWarning, match="not complete within the time limit"):
        result = spec.run(instance, init="network", policy="none", model=str(model_file),
                          time_limit=1.0, started=time.perf_counter() - 5.0)
    rule = build("insertion", instance)
    assert [r.tolist() for r in result.solution.routes] == [r.tolist() for r in rule.routes]
    timed = spec.run(instance, init="network", policy="none", model=str(model_file),
                     time_limit=60.0)
    expected = decode(instance, load_crew_model(model_file)[0], placement="cheapest").schedule
    assert [r.tolist() for r in timed.solution.routes] == [r.tolist() for r in expected.routes]


def test_the_learned_rewriter_reads_model_not_the_network(model_file):
    """--init network --policy learned --model X: X is the rewriter's; the network is the
    shipped one (as --init dqn does), so a network file is not taken for a rewriter."""
    from rewriter.learn.crew.register import network_start
    from rewriter.learn.crew.model_file import resolve_crew_model

    instance = load_instance("crew_example_8x3")
    shipped = decode(instance, resolve_crew_model(None)[0], placement="cheapest",
                     activation_threshold=threshold_of(resolve_crew_model(None)[1])).schedule
    start = network_start(instance, model="/no/such/rewriter.pt", policy="learned")
    assert [r.tolist() for r in start.routes] == [r.tolist() for r in shipped.routes]


def test_cli_solve_with_the_network(model_file, tmp_path):
    out = tmp_path / "routes.json"
    done = subprocess.run([sys.executable, "-m", "rewriter", "solve", "crew_example_8x3",
                           "--init", "network", "--policy", "none", "--model", str(model_file),
                           "--quiet", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    instance = load_instance("crew_example_8x3")
    check_crew_schedule(instance, [np.array(r) for r in data["routes"]])


def test_the_shipped_network_routes_validate_with_either_placement():
    spec = registry.get("crew")
    instance = load_instance("crew_example_8x3")
    for placement in ("end", "cheapest"):
        result = spec.run(instance, init="network", policy="none", network_placement=placement)
        check_crew_schedule(instance, result.solution.routes)
    with pytest.raises(InputError, match="network placement is an option of the network"):
        spec.run(instance, init="insertion", policy="none", network_placement="end")


def test_a_model_of_another_kind_is_refused_in_one_line(tmp_path):
    other = save_model_file(tmp_path / "construct.pt", {"format": "rewriter-construct-1"})
    with pytest.raises(InputError) as caught:
        load_crew_model(other)
    assert "\n" not in str(caught.value) and "crew network" in str(caught.value)
    done = subprocess.run([sys.executable, "-m", "rewriter", "solve", "crew_example_8x3",
                           "--init", "network", "--policy", "none", "--model", str(other)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "crew network" in done.stderr
    broken = tmp_path / "broken.pt"
    torch.save({"format": "rewriter-crew-1", "problem": "crew",
                "model_config": {"hidden": 8}, "state_dict": {}}, broken)
    with pytest.raises(InputError, match="not a valid crew model file"):
        load_crew_model(broken)


# ---- labels beyond exact reach and the gate's calibration ---------------------------------------
def test_best_known_labels_round_trip_through_their_chunk(tmp_path):
    items = labelled_chunk(tmp_path, 12, 3, 5, 2, 0.4, "best")
    again = labelled_chunk(tmp_path, 12, 3, 5, 2, 0.4, "best")  # read back from the file
    assert len(list(tmp_path.glob("best_12x3_s5_c2_*.npz"))) == 1
    for item, read in zip(items, again):
        assert item.status == "best_known" and item.method in ("tabu", "routing")
        check_crew_schedule(item.instance, item.solution.routes)
        assert item.objective == pytest.approx(item.solution.objective)
        assert item.objective <= build("insertion", item.instance).objective + 1e-9
        assert [r.tolist() for r in read.solution.routes] == [r.tolist() for r in item.solution.routes]
    with pytest.raises(ValueError, match="labeller"):
        labelled_chunk(tmp_path, 12, 3, 5, 2, 0.4, "guess")


def test_labelled_set_switches_to_best_known_beyond_exact_up_to(tmp_path):
    items = labelled_set(tmp_path, [(5, 2), (9, 2)], 1, 3, 0.3, exact_up_to=6)
    assert [it.method for it in items][0] == "cpsat"
    assert items[1].status == "best_known"


def test_choose_threshold_takes_the_least_mean_gap_over_sizes():
    table = {None: {"10x4": (5.0, 1.0), "200x30": (9.0, 8.0)},     # mean 7
             0.5: {"10x4": (6.0, 1.0), "200x30": (4.0, 6.0)},      # mean 5
             0.9: {"10x4": (3.0, 1.0), "200x30": (7.0, 5.0)}}      # mean 5: a tie, 0.5 first
    assert choose_threshold(table) == 0.5
    assert threshold_of({"decoding": {"activation_threshold": 0.9}}) == 0.9
    assert threshold_of(None) is None and threshold_of({}) is None


def test_calibration_counts_against_plain_counts():
    items = [Labelled(inst, result.schedule, result.status, result.objective)
             for inst, result in label_dataset(2, 6, 3, seed=11, time_limit=0.5)]
    net = _net()
    (row,) = calibration(net, items, k=3)
    assert row["instances"] == 2 and row["size"] == "6x3"
    assert row["label"] == pytest.approx(np.mean([_idle_called(it.solution) for it in items]))
    assert row["idle"] == pytest.approx(np.mean([(~it.instance.active).sum() for it in items]))
    for item in items:  # the head's expectation: a sum of probabilities over the idle ones
        assert 0.0 <= expected_activations(net, item, 3) <= (~item.instance.active).sum()
    table = gate_table(net, items, thresholds=(None, 1.0), k=3)
    assert set(table) == {None, 1.0} and set(table[None]) == {"6x3"}


def test_the_start_rule_reads_the_gate_from_the_card(tmp_path):
    gated = save_crew_model(tmp_path / "gated.pt", _net(2),
                            {"decoding": {"activation_threshold": 1.0}})
    spec = registry.get("crew")
    instance = load_instance("crew_example_12x4")
    result = spec.run(instance, init="network", policy="none", model=str(gated))
    expected = decode(instance, _net(2), placement="cheapest", activation_threshold=1.0).schedule
    assert [r.tolist() for r in result.solution.routes] == [r.tolist() for r in expected.routes]


# ---- the bench's rows name the network they measured --------------------------------------------
def _bench_crew():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("bench_crew", root / "benchmarks" / "bench_crew.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_labels_name_the_network_and_new_seeds_are_new_rows(tmp_path):
    bench = _bench_crew()
    model = save_crew_model(tmp_path / "m.pt", _net(), {"config": {"name": "crew9"}})
    bare = save_crew_model(tmp_path / "bare.pt", _net(), None)
    assert bench.model_tag(str(model)) == "crew9" and bench.model_tag(str(bare)) == "bare"
    args = bench.parse_args(["--sizes", "crew_u10x4", "--seeds", "0-1", "--model", str(model),
                             "--methods", "insertion,tabu:2,network,network+tabu:2"])
    labels = [(j["instance"], j["label"]) for j in bench.plan(args)]
    assert labels[:4] == [("crew_u10x4_s0", "insertion"), ("crew_u10x4_s0", "tabu:2"),
                          ("crew_u10x4_s0", "network@crew9"),
                          ("crew_u10x4_s0", "network+tabu@crew9:2")]
    done = {bench.key(j) for j in bench.plan(bench.parse_args(
        ["--sizes", "crew_u10x4", "--seeds", "0", "--model", str(model),
         "--methods", "insertion,tabu:2,network,network+tabu:2"]))}
    assert [j["instance"] for j in bench.plan(args) if bench.key(j) not in done] == \
        ["crew_u10x4_s1"] * 4
