"""Training a controller of tabu search with PPO on random instances.

Read top to bottom: an *episode* (:func:`play_episode`) is a controlled tabu run of
``slices x slice_moves`` moves from MWKR on a fresh random instance of a size drawn from
``sizes``; the reward of a decision is the decrease of the best makespan over the slice after it,
in % of the instance's lower bound (:func:`rewards`). Each iteration plays ``episodes`` episodes,
then runs the constructive scheduler's PPO update (:mod:`rewriter.learn.construct.ppo`) on their
decisions. Validation runs the learned controller on a fixed set of random instances and reports
its mean gap to their lower bounds beside the hand-made rule's on the same runs.

The run directory is the other trainers' (written with the same helpers): ``config.json``
(config, approach, version, commit, command), ``log.csv``, ``curves.png``, ``checkpoint.pt``
after every iteration (a resumed run ends with the same parameters as one never interrupted),
``best.pt`` (best validation) and ``model.pt`` with its card ``model.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from ..construct.config import parse_size
from ..construct.ppo import ppo_update, rollout_batch
from ..construct.rollout import Episode
from ...core.charts import log_series, loss_panels, save_training_curves
from ..checkpoint import git_commit
from ...core.loop import run
from ...core import interrupt
from ...core.progress import Progress
from ...core.threads import limit_threads
from ..train import open_run, read_log, run_meta, save_checkpoint, write_log
from ...jssp.generate import random_instance, random_instances
from ...jssp.solve import initial_solution
from ...version import __version__
from .config import ControlConfig
from .controllers import Hand, Learned
from .policy import ControlPolicy, ControlPolicyConfig, save_control_model
from .search import ACTIONS, ControlledSearch

APPROACH = "control"
LOG_FIELDS = ["iteration", "wall_s", "episodes", "decisions", "mean_gain_pct", "mean_gap_pct",
              "actions", "loss", "policy_loss", "value_loss", "entropy", "approx_kl",
              "val_gap_pct", "val_hand_gap_pct"]
VALIDATION_SEED = 2_000_003  # the validation instances' stream, apart from every training seed


def play_episode(instance, controller, cfg: ControlConfig, seed: int) -> ControlledSearch:
    """One controlled tabu run of ``cfg.slices`` slices from MWKR."""
    budget = cfg.slices * cfg.slice_moves
    search = ControlledSearch(initial_solution(instance, "mwkr"), controller, seed=seed,
                              slice_moves=cfg.slice_moves, elite=cfg.elite, horizon=budget)
    run(search, budget, keep_on_interrupt=False)
    return search


def rewards(search: ControlledSearch) -> np.ndarray:
    """Per decision: the decrease of the best makespan over the slice after it, x100 / bound
    (``history[0]`` is the start; decision i saw ``history[i + 1]``)."""
    bests = np.asarray(search.history[1:] + [search.best_cost], np.float64)
    return -np.diff(bests) / search.lower_bound * 100


def gap_pct(search: ControlledSearch) -> float:
    return (search.best_cost - search.lower_bound) / search.lower_bound * 100


def validation_instances(cfg: ControlConfig) -> list:
    out = []
    for k, size in enumerate(cfg.sizes):
        jobs, machines = parse_size(size)
        out += random_instances(cfg.validation_per_size, jobs, machines, VALIDATION_SEED + k,
                                cfg.low, cfg.high)
    return out


def validate(cfg: ControlConfig, instances: list, make_controller) -> float:
    """Mean gap (%) to the lower bound of one episode per validation instance (fixed seeds)."""
    return float(np.mean([gap_pct(play_episode(inst, make_controller(i), cfg, VALIDATION_SEED + i))
                          for i, inst in enumerate(instances)]))


def _collect(policy, cfg: ControlConfig, rng: np.random.Generator) -> tuple[list, list]:
    """One iteration's episodes (recorded decisions, rewards) and their searches."""
    episodes, searches = [], []
    for _ in range(cfg.episodes):
        jobs, machines = parse_size(cfg.sizes[int(rng.integers(len(cfg.sizes)))])
        inst = random_instance(jobs, machines, int(rng.integers(1 << 31)), cfg.low, cfg.high)
        episode = Episode(inst.name, machines, 0, np.empty(0))
        search = play_episode(inst, Learned(policy, rng, episode), cfg, int(rng.integers(1 << 31)))
        episode.rewards = list(rewards(search))
        episode.makespan = search.best_cost
        episodes.append(episode)
        searches.append(search)
    return episodes, searches


# ---- run directory -----------------------------------------------------------------------------
def plot_curves(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(key):
        return log_series(rows, key)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(*series("val_gap_pct"), "o-", ms=3, label="learned")
    axes[0].plot(*series("val_hand_gap_pct"), "--", label="hand rule")
    axes[0].set(xlabel="iteration", ylabel="gap to lower bound (%)", title="validation")
    axes[0].legend()
    loss_panels(axes[1], axes[2], rows)
    fig.tight_layout()
    save_training_curves(fig, path)


def _card(cfg: ControlConfig, run_dir: Path, iteration: int, wall: float, best_val, rows) -> dict:
    started = json.loads((run_dir / "config.json").read_text())
    return {"kind": APPROACH, "problem": "jssp", "version": __version__,
            "git_commit": started.get("git_commit"), "command": started.get("command"),
            "final_commit": git_commit(), "iterations": iteration,
            "episodes": iteration * cfg.episodes, "training_wall_s": round(wall, 1),
            "best_validation": best_val,
            "best_validation_means": "mean gap (%) to the lower bound on the validation set",
            "actions": list(ACTIONS), "config": cfg.to_dict()}


# ---- the loop ----------------------------------------------------------------------------------
def train_control(cfg: ControlConfig, run_dir, *, resume: bool = False,
                  progress: bool | str = True, command: str | None = None) -> dict:
    """Train (or with ``resume`` continue) a controller in ``run_dir``; returns a summary."""
    cfg = cfg.check()
    with limit_threads(cfg.threads):
        return _train(cfg, Path(run_dir), resume, progress, command)


def _train(cfg: ControlConfig, run_dir: Path, resume: bool, progress, command) -> dict:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    policy = ControlPolicy(ControlPolicyConfig(hidden=cfg.hidden))
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    iteration, wall, best_val, decisions = open_run(
        run_dir, resume, run_meta(cfg.to_dict(), command, approach=APPROACH), policy, optimizer, rng)
    val_instances = validation_instances(cfg)
    hand_gap = validate(cfg, val_instances, lambda i: Hand())  # the reference, deterministic
    rows = read_log(run_dir / "log.csv", iteration)
    status = "completed"
    bar = Progress(cfg.iterations, "train control", "it", initial=iteration, mode=progress)
    while iteration < cfg.iterations:
        interrupt.check()  # a Ctrl-C that numba swallowed while compiling
        if cfg.time_limit_minutes is not None and wall >= cfg.time_limit_minutes * 60:
            status = "time_limit"
            break
        tic = time.perf_counter()
        episodes, searches = _collect(policy, cfg, rng)
        recorded = [e for e in episodes if e.actions]  # a search that proves optimality early
        losses = dict.fromkeys(("loss", "policy_loss", "value_loss", "entropy", "approx_kl"), 0.0)
        if recorded:                                     # may decide nothing
            batch = rollout_batch(recorded, cfg)
            losses = ppo_update(policy, optimizer, batch, cfg, rng)
            decisions += len(batch["actions"])
        iteration += 1
        counts = np.bincount([a for s in searches for a in s.actions], minlength=len(ACTIONS))
        row = {"iteration": iteration, "episodes": iteration * cfg.episodes,
               "decisions": decisions,
               "mean_gain_pct": round(float(np.mean([sum(e.rewards) for e in episodes])), 4),
               "mean_gap_pct": round(float(np.mean([gap_pct(s) for s in searches])), 4),
               "actions": "/".join(map(str, counts)),
               **{k: round(v, 6) for k, v in losses.items()},
               "val_gap_pct": "", "val_hand_gap_pct": ""}
        is_best = False
        if iteration % cfg.validate_every == 0 or iteration == cfg.iterations:
            val = validate(cfg, val_instances, lambda i: Learned(
                policy, np.random.default_rng(VALIDATION_SEED + i)))
            row.update(val_gap_pct=round(val, 4), val_hand_gap_pct=round(hand_gap, 4))
            if best_val is None or val < best_val:
                best_val, is_best = val, True
        wall += time.perf_counter() - tic
        row["wall_s"] = round(wall, 2)
        rows.append(row)
        if is_best:
            save_control_model(run_dir / "best.pt", policy,
                               _card(cfg, run_dir, iteration, wall, best_val, rows))
        if iteration % cfg.checkpoint_every == 0 or iteration == cfg.iterations:
            write_log(run_dir / "log.csv", rows, LOG_FIELDS)
            save_checkpoint(run_dir / "checkpoint.pt", policy, optimizer, rng, iteration, wall,
                            best_val, decisions)
        bar.update(1, gap=row["mean_gap_pct"], val=row["val_gap_pct"] or "-")
    bar.close()
    write_log(run_dir / "log.csv", rows, LOG_FIELDS)
    if rows:
        plot_curves(rows, run_dir / "curves.png")
    save_control_model(run_dir / "model.pt", policy,
                       _card(cfg, run_dir, iteration, wall, best_val, rows))
    return {"run_dir": run_dir, "iterations": iteration, "wall_s": wall,
            "best_validation": best_val, "hand_validation": hand_gap, "status": status}
