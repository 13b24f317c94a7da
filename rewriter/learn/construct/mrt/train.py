"""Training a constructive MRT scheduler (DeepRM's protocol) and its run directory.

Each iteration draws ``sequences`` job sequences of the data set's training split for D (the
package's seeded generator, :mod:`rewriter.mrt.generate`), plays ``rollouts`` sampled episodes of
each, and takes one REINFORCE step (:mod:`.reinforce`). Every ``validate_every`` iterations the
policy decodes the first ``validation_sequences`` of the validation split greedily; the log
records their mean average slowdown and its gap to SJF's (the ``sjf`` method of ``compare``);
``best.pt`` is the policy with the lowest.

The run directory is the job shop's constructive trainer's, written with the same helpers:
``config.json`` (config, ``"approach": "construct"``, version, commit, command), ``log.csv``,
``curves.png``, ``checkpoint.pt`` after every iteration (atomic; a resumed run ends with the same
parameters as one never interrupted), ``best.pt`` and ``model.pt``, each with its card.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ....core.charts import log_series, save_training_curves
from ...checkpoint import git_commit
from ....core import interrupt
from ....core.progress import Progress
from ....core.threads import limit_threads
from ...train import open_run, read_log, run_meta, save_checkpoint, write_log
from ....envs.mrt_dispatch import MrtDispatchEnv
from ....mrt.generate import dataset_instance, split_size
from ....mrt.dispatching import sjf
from ....version import __version__
from ..model_file import save_construct_model
from ..policy import ConstructPolicy, PolicyConfig
from ..train import APPROACH
from .config import MrtConstructConfig
from .reinforce import batch_of, reinforce_update
from .rollout import input_features, play

LOG_FIELDS = ["iteration", "wall_s", "episodes", "decisions", "mean_slowdown", "loss",
              "policy_loss", "entropy", "val_slowdown", "val_vs_sjf_pct"]


@dataclass
class MrtConstructSummary:
    run_dir: Path
    iterations: int
    wall_s: float
    best_validation: float | None   # the lowest mean greedy average slowdown on validation
    status: str                     # completed | time_limit


def new_policy(cfg: MrtConstructConfig) -> ConstructPolicy:
    return ConstructPolicy(PolicyConfig(features=input_features(cfg.resources),
                                        embed_dim=cfg.embed_dim, heads=cfg.heads,
                                        layers=cfg.layers))


def _envs(cfg: MrtConstructConfig, count: int) -> list[MrtDispatchEnv]:
    return [MrtDispatchEnv(resources=cfg.resources, window=cfg.window) for _ in range(count)]


# ---- validation --------------------------------------------------------------------------------
def validation_instances(cfg: MrtConstructConfig) -> list:
    return [dataset_instance(cfg.resources, "validation", k) for k in range(cfg.validation_sequences)]


def validate(policy: ConstructPolicy, envs: list, instances: list, sjf_mean: float) -> dict:
    """Mean greedy average slowdown of the validation set, and its gap (%) to SJF's."""
    slowdowns = [e.average_slowdown for e in play(policy, envs, instances, None)]
    value = float(np.mean(slowdowns))
    return {"val_slowdown": value, "val_vs_sjf_pct": (value - sjf_mean) / sjf_mean * 100}


# ---- run directory -----------------------------------------------------------------------------
def plot_curves(rows: list[dict], path: Path) -> None:
    """Learning curves: average slowdown (training and validation), loss and entropy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(key):
        return log_series(rows, key)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(*series("mean_slowdown"), lw=0.8, label="training (sampled)")
    axes[0].plot(*series("val_slowdown"), "o-", ms=3, label="validation (greedy)")
    axes[0].set(xlabel="iteration", ylabel="average slowdown", title="average slowdown")
    axes[0].legend()
    axes[1].plot(*series("policy_loss"), lw=0.8)
    axes[1].set(xlabel="iteration", title="policy loss")
    axes[2].plot(*series("entropy"), lw=0.8)
    axes[2].set(xlabel="iteration", title="policy entropy")
    fig.tight_layout()
    save_training_curves(fig, path)


def _card(cfg: MrtConstructConfig, run_dir: Path, command: str | None, iteration: int,
          wall: float, best_val: float | None, sjf_mean: float, rows: list[dict]) -> dict:
    """What a saved constructive MRT model says about itself."""
    started = json.loads((run_dir / "config.json").read_text())
    validated = [r for r in rows if r.get("val_slowdown") not in ("", None)]
    return {"kind": APPROACH, "problem": "mrt", "resources": cfg.resources, "window": cfg.window,
            "version": __version__, "git_commit": started.get("git_commit"),
            "command": started.get("command"), "last_command": command or " ".join(sys.argv),
            "final_commit": git_commit(), "iterations": iteration,
            "episodes": iteration * cfg.sequences * cfg.rollouts,
            "decisions": int(rows[-1]["decisions"]) if rows else 0,
            "training_wall_s": round(wall, 1), "best_validation": best_val,
            "best_validation_means": "mean greedy average slowdown of the validation sequences",
            "validation_sjf": round(sjf_mean, 4),
            "validation": [{k: float(r[k]) for k in ("iteration", "wall_s", "val_slowdown")}
                           for r in validated[-10:]],
            "config": cfg.to_dict()}


def _save(path: Path, policy, cfg, card: dict) -> None:
    save_construct_model(path, policy, card, problem="mrt",
                         env={"resources": cfg.resources, "window": cfg.window})


# ---- the loop ----------------------------------------------------------------------------------
def train_mrt_construct(cfg: MrtConstructConfig, run_dir, *, resume: bool = False,
                        progress: bool | str = True,
                        command: str | None = None) -> MrtConstructSummary:
    """Train (or with ``resume`` continue) a constructive MRT run in ``run_dir``; ``progress``:
    ``bar``, ``lines``, ``off``, or True/False."""
    cfg = cfg.check()
    with limit_threads(cfg.threads):
        return _train(cfg, Path(run_dir), resume, progress, command)


def _train(cfg: MrtConstructConfig, run_dir: Path, resume: bool, progress,
           command) -> MrtConstructSummary:
    checkpoint_path = run_dir / "checkpoint.pt"
    val_instances = validation_instances(cfg)
    sjf_mean = float(np.mean([i.slowdown(sjf(i)) for i in val_instances]))
    train_envs = _envs(cfg, cfg.sequences * cfg.rollouts)
    val_envs = _envs(cfg, len(val_instances))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    policy = new_policy(cfg)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    iteration, wall, best_val, decisions = open_run(
        run_dir, resume, run_meta(cfg.to_dict(), command, approach=APPROACH), policy, optimizer, rng)
    rows = read_log(run_dir / "log.csv", iteration)
    status = "completed"
    bar = Progress(cfg.iterations, f"train construct mrt d{cfg.resources}", "it",
                   initial=iteration, mode=progress)
    while iteration < cfg.iterations:
        interrupt.check()  # a Ctrl-C that numba swallowed while compiling
        if cfg.time_limit_minutes is not None and wall >= cfg.time_limit_minutes * 60:
            status = "time_limit"
            break
        tic = time.perf_counter()
        picks = rng.integers(split_size("train"), size=cfg.sequences)
        sequences = [dataset_instance(cfg.resources, "train", int(k)) for k in picks]
        instances = [inst for inst in sequences for _ in range(cfg.rollouts)]
        episodes = play(policy, train_envs, instances, rng, record=True)
        groups = [episodes[k * cfg.rollouts:(k + 1) * cfg.rollouts] for k in range(cfg.sequences)]
        batch = batch_of(groups)
        losses = reinforce_update(policy, optimizer, batch, cfg)
        iteration += 1
        decisions += len(batch["actions"])
        row = {"iteration": iteration, "episodes": iteration * len(episodes),
               "decisions": decisions,
               "mean_slowdown": round(float(np.mean([e.average_slowdown for e in episodes])), 4),
               **{k: round(v, 6) for k, v in losses.items()},
               "val_slowdown": "", "val_vs_sjf_pct": ""}
        is_best = False
        if iteration % cfg.validate_every == 0 or iteration == cfg.iterations:
            val = validate(policy, val_envs, val_instances, sjf_mean)
            row.update({k: round(v, 4) for k, v in val.items()})
            if best_val is None or val["val_slowdown"] < best_val:
                best_val, is_best = val["val_slowdown"], True
        wall += time.perf_counter() - tic
        row["wall_s"] = round(wall, 2)
        rows.append(row)
        if is_best:
            _save(run_dir / "best.pt", policy, cfg,
                  _card(cfg, run_dir, command, iteration, wall, best_val, sjf_mean, rows))
        if iteration % cfg.checkpoint_every == 0 or iteration == cfg.iterations:
            write_log(run_dir / "log.csv", rows, LOG_FIELDS)
            # the layout core.train.restore_checkpoint reads (global_steps: the decisions)
            save_checkpoint(checkpoint_path, policy, optimizer, rng, iteration, wall, best_val,
                            decisions)
        bar.update(1, slowdown=row["mean_slowdown"], val=row["val_slowdown"] or "-")
    bar.close()
    write_log(run_dir / "log.csv", rows, LOG_FIELDS)
    if rows:
        plot_curves(rows, run_dir / "curves.png")
    _save(run_dir / "model.pt", policy, cfg,
          _card(cfg, run_dir, command, iteration, wall, best_val, sjf_mean, rows))
    return MrtConstructSummary(run_dir, iteration, wall, best_val, status)
