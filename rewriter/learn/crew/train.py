"""Supervised training of the crew network on labelled solutions (``python -m
rewriter.learn.crew.train``).

Read top to bottom. Every hyperparameter is a field of :class:`Config` (each is a command-line
flag: ``--minutes 5``, ``--sizes 8x3,10x4``). The run directory ``runs/NAME`` gets
``config.json``, the labelled instances as ``.npz`` chunks (:mod:`.labels`: a rerun reads them
instead of solving again), ``log.jsonl`` (one line per evaluation), ``curve.png``, and
``model.pt`` with its card ``model.json`` (the network of the best validation).

1. Labels: ``train_per_size`` instances per size of ``sizes`` and ``val_per_size`` held-out
   ones (other seeds) (:func:`.labels.labelled_set`): up to ``exact_up_to`` orders solved by
   CP-SAT for ``label_seconds`` seconds (optimal where proven), larger ones labelled by the
   best solution tabu search and OR-Tools routing find in ``best_seconds`` (best known, not
   proven). The targets are :func:`rewriter.crew.cpsat.labels`: which operators serve some
   order and which orders each serves.
   With ``init_model`` the network starts from that model file's weights (same architecture).
2. Training states: the decoder scores pairs on partial routes, so each drawn instance is
   shown in a random partial state of its labelled solution (every route cut after a random
   prefix, one fraction per instance: from empty to complete). The losses are binary
   cross-entropies weighted for the rare positives (the design's "how to train"): activation
   over every operator (positive weight: idle labels / used labels of the training set) and
   assignment over every (operator, open order) pair (positive weight m - 1: one operator of
   m serves each order), ``activation_weight`` x the first plus the second.
3. Validation every ``eval_every`` steps: each held-out instance decoded
   (:func:`.decode.decode` with ``placement`` and the activation gate ``val_threshold``); the
   gap of its objective to its label's and to the insertion rule's, averaged per size and then
   over sizes (each size weighs the same). The network of the least mean gap is kept.
4. The activation gate: every threshold of :data:`.calibrate.THRESHOLDS` decoded on the
   validation instances, the best kept in the card (``decoding.activation_threshold``), which
   the ``network`` start rule reads.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...atomic import write_atomic
from ...core.threads import limit_threads
from ...crew.cpsat import labels
from ...crew.dispatching import build
from ...version import __version__
from ..checkpoint import git_commit
from .calibrate import choose_threshold, gate_table
from .decode import decode
from .graph import NEIGHBOURS, CrewState, build_graph, edge_travel, pair_features
from .labels import Labelled, labelled_set
from .model import CrewNet, NetConfig, batch_graphs
from .model_file import load_crew_model, save_crew_model


@dataclass
class Config:
    name: str = "crew"
    runs: str = "runs"
    sizes: str = "8x3,10x3,10x4,12x4"    # n_orders x n_operators of the labelled instances
    train_per_size: int = 50
    val_per_size: int = 6
    train_seed: int = 1_000
    val_seed: int = 900_000              # far from every training seed
    label_seconds: float = 2.0           # CP-SAT per instance
    exact_up_to: int = 30                # larger sizes: best known of tabu + routing
    best_seconds: float = 3.0            # tabu then routing, per instance beyond exact_up_to
    hidden: int = 32
    heads: int = 4
    layers: int = 3
    head_hidden: int = 32
    neighbours: int = NEIGHBOURS
    lr: float = 1e-3
    batch: int = 16                      # instances per step
    activation_weight: float = 1.0
    minutes: float = 10.0                # training wall time (labels not counted)
    max_steps: int = 100_000
    eval_every: int = 150
    placement: str = "cheapest"          # the decoder's placement in validation (decode.PLACEMENTS)
    val_threshold: float = 0.5           # the activation gate in validation (<0: none)
    seed: int = 0
    threads: int = 1
    init_model: str = ""                 # start from this model file's weights (its architecture)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in item.split("x")) for item in text.split(",")]


# ---- one batch --------------------------------------------------------------------------------
def partial_state(item: Labelled, rng: np.random.Generator) -> tuple[CrewState, list]:
    """A random partial state of the labelled solution: every route cut after a prefix."""
    fraction = rng.uniform()
    cut = [route[:int(np.floor(fraction * route.size + rng.uniform()))]
           if route.size else route for route in item.solution.routes]
    cut = [route[:min(len(route), len(full))] for route, full in zip(cut, item.solution.routes)]
    return CrewState.of_routes(item.instance, cut), cut


def make_batch(items: list[Labelled], rng: np.random.Generator, k: int):
    """(graph batch, activation targets, pair operator rows, pair order rows, pair features,
    assignment targets), every index batch-global."""
    graphs, act, op_rows, ord_rows, feats, assign = [], [], [], [], [], []
    op_off = ord_off = 0
    for item in items:
        inst = item.instance
        state, _ = partial_state(item, rng)
        graphs.append(build_graph(inst, state, k))
        activation, assignment = labels(item.solution)
        act.append(activation)
        open_orders = np.flatnonzero(~state.assigned)
        ops = np.repeat(np.arange(inst.n_operators), open_orders.size)
        ords = np.tile(open_orders, inst.n_operators)
        travel = edge_travel(inst, state.end, ops, ords)
        feats.append(pair_features(inst, state, ops, ords, travel))
        assign.append(assignment[ops, ords])
        op_rows.append(ops + op_off)
        ord_rows.append(ords + ord_off)
        op_off += inst.n_operators
        ord_off += inst.n_orders
    t = lambda parts, dtype: torch.from_numpy(np.concatenate(parts).astype(dtype))  # noqa: E731
    return (batch_graphs(graphs), t(act, np.float32), t(op_rows, np.int64), t(ord_rows, np.int64),
            t(feats, np.float32), t(assign, np.float32))


def losses(net: CrewNet, batch, pos_activation: float, pos_assignment: float):
    graph, act, op_rows, ord_rows, feats, assign = batch
    operators, orders = net.encode(graph)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    act_loss = bce(net.activation_logits(graph, operators, orders), act,
                   pos_weight=torch.tensor(pos_activation))
    assign_loss = bce(net.assignment_logits(operators, orders, op_rows, ord_rows, feats), assign,
                      pos_weight=torch.tensor(pos_assignment))
    return act_loss, assign_loss


# ---- validation -------------------------------------------------------------------------------
def validate(net: CrewNet, items: list[Labelled], k: int, placement: str = "cheapest",
             threshold: float | None = None) -> dict:
    """Gaps (%) of the decoded routes to the labels' objective and to the insertion rule's, and
    of the insertion rule to the labels: each a mean per size, then over sizes."""
    net.eval()
    per_size: dict[tuple, list] = {}
    for item in items:
        objective = decode(item.instance, net, k=k, placement=placement,
                           activation_threshold=threshold).schedule.objective
        insertion = build("insertion", item.instance).objective
        per_size.setdefault((item.instance.n_orders, item.instance.n_operators), []).append(
            (100 * (objective - item.objective) / item.objective,
             100 * (objective - insertion) / insertion,
             100 * (insertion - item.objective) / item.objective))
    net.train()
    means = np.mean([np.mean(v, axis=0) for v in per_size.values()], axis=0)
    return {"val_gap_label_pct": float(means[0]), "val_gap_insertion_pct": float(means[1]),
            "insertion_gap_label_pct": float(means[2])}


def save_curve(rows: list[dict], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ...core.charts import save_image

    fig = Figure(figsize=(10, 4), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    steps = [r["step"] for r in rows]
    for key in ("loss", "loss_activation", "loss_assignment"):
        left.plot(steps, [r[key] for r in rows], label=key)
    left.set(xlabel="step", title="training losses (mean since the last evaluation)")
    left.legend()
    right.plot(steps, [r["val_gap_label_pct"] for r in rows], label="network vs label")
    right.plot(steps, [r["val_gap_insertion_pct"] for r in rows], label="network vs insertion")
    right.axhline(rows[-1]["insertion_gap_label_pct"], color="grey", ls=":",
                  label="insertion vs label")
    right.set(xlabel="step", ylabel="mean gap %", title="validation (held-out instances)")
    right.legend()
    save_image(fig, path, "png")


# ---- the run ----------------------------------------------------------------------------------
def train(config: Config) -> dict:
    started = time.perf_counter()
    run = Path(config.runs) / config.name
    run.mkdir(parents=True, exist_ok=True)
    write_atomic(run / "config.json", json.dumps(
        {"config": dataclasses.asdict(config), "version": __version__, "commit": git_commit(),
         "command": " ".join(["python -m rewriter.learn.crew.train", *sys.argv[1:]])},
        indent=2) + "\n")
    sizes = parse_sizes(config.sizes)
    label_options = dict(exact_up_to=config.exact_up_to, best_seconds=config.best_seconds)
    val = labelled_set(run, sizes, config.val_per_size, config.val_seed, config.label_seconds,
                       **label_options)
    data = labelled_set(run, sizes, config.train_per_size, config.train_seed,
                        config.label_seconds, **label_options)
    label_s = time.perf_counter() - started
    used = np.concatenate([labels(item.solution)[0] for item in data])
    pos_activation = float((used.size - used.sum()) / max(used.sum(), 1.0))
    pos_assignment = float(np.mean([item.instance.n_operators for item in data]) - 1)

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = CrewNet(NetConfig(config.hidden, config.heads, config.layers, config.head_hidden))
    if config.init_model:  # fine-tuning: the architecture must be the one the file names
        net.load_state_dict(load_crew_model(config.init_model)[0].state_dict())
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    gate = config.val_threshold if config.val_threshold >= 0 else None
    rows, window, best = [], [], None
    log = run / "log.jsonl"
    log.write_text("")
    t0 = time.perf_counter()
    step = 0
    while step < config.max_steps and time.perf_counter() - t0 < 60 * config.minutes:
        items = [data[i] for i in rng.integers(0, len(data), config.batch)]
        act_loss, assign_loss = losses(net, make_batch(items, rng, config.neighbours),
                                       pos_activation, pos_assignment)
        loss = config.activation_weight * act_loss + assign_loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        window.append((loss.item(), act_loss.item(), assign_loss.item()))
        step += 1
        if step % config.eval_every == 0 or step == config.max_steps:
            row = {"step": step, "wall_s": round(time.perf_counter() - t0, 1),
                   **dict(zip(("loss", "loss_activation", "loss_assignment"),
                              np.mean(window, axis=0).round(5).tolist())),
                   **{k: round(v, 3) for k, v in validate(net, val, config.neighbours,
                                                               config.placement, gate).items()}}
            window = []
            rows.append(row)
            with open(log, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
            if best is None or row["val_gap_label_pct"] < best["val_gap_label_pct"]:
                best = row
                state = {k: v.clone() for k, v in net.state_dict().items()}
    if best is None:
        raise SystemExit("no evaluation ran: raise --minutes or lower --eval-every")
    net.load_state_dict(state)
    net.eval()
    save_curve(rows, run / "curve.png")
    table = gate_table(net, val, k=config.neighbours, placement=config.placement)
    card = {"kind": "crew network (rewriter-crew-1)", "problem": "crew",
            "trained_on": {"sizes": config.sizes, "train_instances": len(data),
                           "val_instances": len(val), "label_seconds": config.label_seconds,
                           "best_seconds": config.best_seconds,
                           "exact_up_to": config.exact_up_to,
                           "train_labels": _label_counts(data), "val_labels": _label_counts(val)},
            "best_step": best["step"], "validation": {k: best[k] for k in (
                "val_gap_label_pct", "val_gap_insertion_pct", "insertion_gap_label_pct")},
            "decoding": {"activation_threshold": choose_threshold(table),
                         "chosen_on": "the validation instances (python -m "
                                      "rewriter.learn.crew.calibrate)",
                         "gaps_pct": {str(t): round(float(np.mean([g for g, _ in per.values()])), 3)
                                      for t, per in table.items()}},
            "steps": step, "train_wall_s": round(time.perf_counter() - t0, 1),
            "label_wall_s": round(label_s, 1), "config": dataclasses.asdict(config),
            "version": __version__, "commit": git_commit()}
    save_crew_model(run / "model.pt", net, card)
    return card


def _label_counts(items: list[Labelled]) -> dict:
    """How the labels were found: {"status by method": count}, e.g. "optimal by cpsat"."""
    out: dict[str, int] = {}
    for item in items:
        key = f"{item.status} by {item.method}"
        out[key] = out.get(key, 0) + 1
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rewriter.learn.crew.train",
                                     description=__doc__.splitlines()[0])
    for field in dataclasses.fields(Config):
        parser.add_argument("--" + field.name.replace("_", "-"), type=type(field.default),
                            default=field.default)
    config = Config(**vars(parser.parse_args(argv)))
    with limit_threads(config.threads):
        card = train(config)
    print(json.dumps(card["validation"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
