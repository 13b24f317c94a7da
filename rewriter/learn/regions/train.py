"""Train the region picker by imitation of the best candidate, per second
(``python -m rewriter.learn.regions.train``).

Read top to bottom: labelled decisions are collected along trajectories on generated training
instances (:mod:`.collect`; each trajectory's file is kept in the run directory, so a stopped run
resumes where it was), split by trajectory into training and validation, and the scorer learns a
softmax over each decision's candidates that matches the softmax of their normalised labels. The
run writes its config, log, curve and the model with its card under ``runs/NAME/``.

The validation measure is the share of the best candidate's gain per second that the picker's
choice gets, beside what a uniform draw among the candidates gets and what each hand rule's
draws get: the learned picker earns its place only if it beats the best of these.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ...atomic import write_atomic
from ...shop.regions import RULES
from ..checkpoint import git_commit
from .collect import CollectSettings, load_decisions, save_decisions, trajectory
from .features import region_features, view_graph
from .model import RegionScorer
from .picker import save_scorer


@dataclass
class TrainConfig:
    problem: str = "fjsp"          # fjsp (production-like instances) or jssp (Taillard-like)
    jobs: int = 120
    machines: int = 40
    trajectories: int = 8
    decisions: int = 15            # per trajectory
    subsolve: float = 0.3          # deterministic seconds per candidate sub-solve
    size: int = 60                 # operations per candidate region
    first_polish: int = 20000      # tabu moves without a new best that end the first polish
    polish: int = 2000             # ... and the polish after each decision
    wall_clock: bool = False       # sub-solves limited by wall time (flexible shop), not CP-SAT's
                                   # deterministic time
    epochs: int = 40
    lr: float = 1e-3
    temperature: float = 0.3       # of the target softmax over labels scaled to [0, 1]
    validation: float = 0.25       # share of trajectories held out
    hidden: int = 32
    layers: int = 2
    seed: int = 0
    run_dir: str = "runs/regions_fjsp"


def make_problem(config: TrainConfig, index: int):
    """The Rewritable of training trajectory ``index`` (its instance seed is 1000 + index)."""
    seed = 1000 + index
    if config.problem == "fjsp":
        from ...fjsp.cpsat import _weight_fraction
        from ...fjsp.dispatching import dispatch_schedule
        from ...fjsp.generate import production_instance
        from ...fjsp.lns import FlexibleRewrite

        inst = production_instance(config.jobs, config.machines, seed)
        return FlexibleRewrite(dispatch_schedule(inst, "mwkr-eet", seed), "makespan", 0.0,
                               _weight_fraction("makespan", 0.0))
    from ...jssp.generate import random_instance
    from ...jssp.lns import JobShopRewrite
    from ...jssp.search import TabuSettings
    from ...jssp.solve import start_solution

    inst = random_instance(config.jobs, config.machines, seed)
    return JobShopRewrite(start_solution(inst, "mwkr", "active", seed, None), TabuSettings())


def collect(config: TrainConfig, run: Path, log) -> list[list]:
    """Every trajectory's decisions, collected now or read from an earlier run's files."""
    settings = CollectSettings(decisions=config.decisions, subsolve=config.subsolve,
                               size=config.size, polish=config.polish,
                               first_polish=config.first_polish, wall_clock=config.wall_clock)
    out = []
    for t in range(config.trajectories):
        path = run / f"decisions_{t:03d}.npz"
        if not path.is_file():
            t0 = time.perf_counter()
            decisions = trajectory(make_problem(config, t), settings, config.seed * 1000 + t)
            save_decisions(path, decisions)
            log({"trajectory": t, "decisions": len(decisions), "seconds": round(time.perf_counter() - t0, 1),
                 "improving": int(sum((d.gains > 0).any() for d in decisions))})
        out.append(load_decisions(path))
    return out


def prepare(decisions: list) -> list[tuple]:
    """(graph, regions, features, target labels scaled to [0, 1], rules) of the decisions in
    which some candidate gained; the others teach nothing."""
    items = []
    for d in decisions:
        if d.labels.max() <= 0:
            continue
        features = np.stack([region_features(d.view, free, rule) for rule, free in d.drawn])
        items.append((view_graph(d.view), [free for _, free in d.drawn], features,
                      d.labels / d.labels.max(), [rule for rule, _ in d.drawn]))
    return items


def evaluate(scorer: RegionScorer, items: list[tuple]) -> dict:
    """The share of the best candidate's label that each way of choosing gets, on average."""
    shares = {"learned": [], "uniform": [], **{rule: [] for rule in RULES}}
    with torch.no_grad():
        for graph, regions, features, target, rules in items:
            scores = scorer(graph, regions, features).numpy()
            shares["learned"].append(target[int(np.argmax(scores))])
            shares["uniform"].append(target.mean())
            for rule in RULES:
                shares[rule].append(np.mean([t for t, r in zip(target, rules) if r == rule]))
    return {k: round(float(np.mean(v)), 4) for k, v in shares.items()} | {"decisions": len(items)}


def fit(config: TrainConfig, train: list[tuple], valid: list[tuple], log) -> tuple[RegionScorer, list]:
    torch.manual_seed(config.seed)
    scorer = RegionScorer(hidden=config.hidden, layers=config.layers)
    optimiser = torch.optim.Adam(scorer.parameters(), lr=config.lr)
    rng = np.random.default_rng(config.seed)
    curve, best, best_state = [], -1.0, None
    for epoch in range(1, config.epochs + 1):
        scorer.train()
        losses = []
        for k in rng.permutation(len(train)):
            graph, regions, features, target, _ = train[k]
            logits = scorer(graph, regions, features)
            wanted = torch.softmax(torch.from_numpy(target / config.temperature).float(), 0)
            loss = -(wanted * torch.log_softmax(logits, 0)).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        scorer.eval()
        row = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4),
               "train": evaluate(scorer, train)["learned"], "validation": evaluate(scorer, valid)}
        curve.append(row)
        log(row)
        if row["validation"]["learned"] > best:
            best = row["validation"]["learned"]
            best_state = {k: v.clone() for k, v in scorer.state_dict().items()}
    scorer.load_state_dict(best_state)
    scorer.eval()
    return scorer, curve


def plot(curve: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [r["epoch"] for r in curve]
    ax.plot(epochs, [r["validation"]["learned"] for r in curve], label="learned (validation)")
    ax.plot(epochs, [r["train"] for r in curve], label="learned (training)", alpha=0.6)
    final = curve[-1]["validation"]
    for k, name in enumerate(("uniform", *RULES)):
        ax.axhline(final[name], ls=":", lw=1, label=name, color=f"C{k + 2}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("share of the best candidate's gain/s")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    config = parse(argv)
    run = Path(config.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    write_atomic(run / "config.json", json.dumps(asdict(config), indent=2) + "\n")
    log_path = run / "log.jsonl"

    def log(row: dict) -> None:
        print(json.dumps(row), flush=True)
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")

    t0 = time.perf_counter()
    trajectories = collect(config, run, log)
    held = max(1, int(round(config.validation * len(trajectories))))
    train = prepare([d for ds in trajectories[:-held] for d in ds])
    valid = prepare([d for ds in trajectories[-held:] for d in ds])
    if not train or not valid:
        print(f"no decision in which some candidate gained ({len(train)} training, {len(valid)} "
              "validation): collect more trajectories", file=sys.stderr)
        return 1
    scorer, curve = fit(config, train, valid, log)
    plot(curve, run / "curve.png")
    final = evaluate(scorer, valid)
    card = {"kind": "region picker", "problem": config.problem, "version": _version(),
            "git_commit": git_commit(), "command": "python -m rewriter.learn.regions.train "
            + " ".join(argv if argv is not None else sys.argv[1:]), "config": asdict(config),
            "training_decisions": len(train), "validation_decisions": len(valid),
            "validation": final, "wall_s": round(time.perf_counter() - t0, 1),
            "measure": "share of the best candidate's gain per second captured by the choice"}
    save_scorer(run / "model.pt", scorer, config.problem, card)
    log({"final": final, "model": str(run / "model.pt")})
    return 0


def _version() -> str:
    from ...version import __version__

    return __version__


def parse(argv=None) -> TrainConfig:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m rewriter.learn.regions.train",
                                     description=__doc__.split("\n\n")[0])
    for name, value in asdict(defaults).items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true", help=f"(default {value})")
            continue
        choices = ("fjsp", "jssp") if name == "problem" else None
        parser.add_argument(flag, type=type(value), default=value, choices=choices,
                            help=f"(default {value})")
    return TrainConfig(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
