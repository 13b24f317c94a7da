"""Training a constructive policy with PPO, per instance or across random instances.

Read top to bottom: :func:`train_construct` sets up the run directory, then loops: draw the
iteration's environments -> play one sampled episode in each (:func:`~.rollout.play`) -> GAE
targets and PPO epochs (:mod:`.ppo`) -> log -> validate -> checkpoint. Every hyperparameter is in
:class:`~.config.ConstructConfig`.

Two modes. **Across instances** (default): each episode is a fresh random Taillard-style
instance of a size class drawn from ``sizes``; validation decodes a fixed set of random
instances greedily and measures the makespan against MWKR's, so the model can then be used
without training. **Per instance** (``instance`` set, Tassel et al.'s protocol): every episode
is that instance; the run reports the best makespan any episode reached (its schedule is kept in
``best_schedule.json``, validated) and validation is the greedy makespan.

The run directory is the rewriter trainer's (:mod:`rewriter.learn.train`), written with the same
helpers: ``config.json`` (config, approach, version, commit, command), ``log.csv``,
``curves.png``, ``checkpoint.pt`` after every iteration (atomic; a resumed run ends with the
same parameters as one never interrupted), ``best.pt`` (best validation) and ``model.pt`` with
its card ``model.json``.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...atomic import write_atomic
from ..checkpoint import git_commit
from ...core import interrupt
from ...core.progress import Progress
from ...core.threads import limit_threads
from ..train import open_run, read_log, run_meta, save_checkpoint, write_log
from ...errors import InputError
from ...textfile import read_json
from ...jssp.dispatching import dispatch
from ...jssp.generate import random_instances
from ...jssp.validate import check_schedule
from ...version import __version__
from .config import ConstructConfig, parse_size
from .decode import construct_episodes
from .model_file import save_construct_model
from .networks import env_type, new_policy, play_episodes, ppo_step
from .rollout import EpisodeSource
from ...core.charts import log_series, loss_panels, save_training_curves

APPROACH = "construct"
LOG_FIELDS = ["iteration", "wall_s", "episodes", "decisions", "mean_makespan", "best_makespan",
              "loss", "policy_loss", "value_loss", "entropy", "approx_kl",
              "val_makespan", "val_vs_mwkr_pct", "val_vs_mwkr_nd_pct"]
VALIDATION_SEED = 1_000_003  # the validation instances' stream, apart from every training seed


@dataclass
class ConstructSummary:
    run_dir: Path
    iterations: int
    wall_s: float
    best_validation: float | None   # across: % against MWKR; per instance: greedy makespan
    best_makespan: int | None       # per instance: the best makespan an episode reached
    status: str                     # completed | time_limit


# ---- validation --------------------------------------------------------------------------------
def validation_instances(cfg: ConstructConfig) -> list:
    """The fixed validation set: the instance itself, or ``validation_per_size`` random ones
    of each validation size."""
    if cfg.per_instance:
        from ...jssp.bundled import load_instance

        return [load_instance(cfg.instance)]
    out = []
    for k, size in enumerate(cfg.validation_sizes):
        jobs, machines = parse_size(size, "validation_sizes")
        out += random_instances(cfg.validation_per_size, jobs, machines, VALIDATION_SEED + k,
                                cfg.low, cfg.high)
    return out


def validate(policy, instances: list, references: list[tuple[int, int]]) -> dict:
    """Greedy makespans of the validation set: their mean, and their mean gap (%) to MWKR's
    active and non-delay schedules (negative: better than MWKR)."""
    spans = [construct_episodes(inst, policy)[0].makespan for inst in instances]
    vs = [[(s - ref[i]) / ref[i] * 100 for s, ref in zip(spans, references)] for i in (0, 1)]
    return {"val_makespan": float(np.mean(spans)), "val_vs_mwkr_pct": float(np.mean(vs[0])),
            "val_vs_mwkr_nd_pct": float(np.mean(vs[1]))}


def _score(cfg: ConstructConfig, val: dict) -> float:
    """What best.pt minimises: the gap to MWKR across instances, the makespan per instance."""
    return val["val_makespan"] if cfg.per_instance else val["val_vs_mwkr_pct"]


# ---- run directory -----------------------------------------------------------------------------
def resume_construct_config(run_dir, iterations: int | None = None,
                            time_limit_minutes: float | None = None,
                            config_type=ConstructConfig, approach: str = APPROACH):
    """The saved config of a constructive run (or another trainer's run of ``approach``), with
    a new iteration count or time limit, as a ``config_type`` (the job shop's
    :class:`ConstructConfig`, MRT's, or the controller's)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise InputError(f"{path}: no run to resume")
    saved = read_json(path, "the config.json of a training run")
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise InputError("expected the config.json of a training run (an object with 'config')",
                         path=path)
    if saved.get("approach") != approach:
        raise InputError(f"{run_dir} holds a run of {saved.get('approach') or 'the rewriter'}, "
                         f"not of --approach {approach}")
    values = saved["config"]
    if iterations is not None:
        values["iterations"] = iterations
    if time_limit_minutes is not None:
        values["time_limit_minutes"] = time_limit_minutes
    return config_type.from_dict(values)


def plot_curves(rows: list[dict], path: Path, per_instance: bool) -> None:
    """Learning curves: makespans (training and validation), losses and entropy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(key):
        return log_series(rows, key)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    if per_instance:
        for key, label in (("mean_makespan", "episodes (mean)"), ("best_makespan", "best seen"),
                           ("val_makespan", "greedy")):
            axes[0].plot(*series(key), lw=0.8, label=label)
        axes[0].set(xlabel="iteration", ylabel="makespan", title="makespan")
    else:
        for key, label in (("val_vs_mwkr_pct", "greedy vs MWKR"),
                           ("val_vs_mwkr_nd_pct", "greedy vs MWKR non-delay")):
            axes[0].plot(*series(key), "o-", ms=3, label=label)
        axes[0].axhline(0.0, color="grey", lw=0.6)
        axes[0].set(xlabel="iteration", ylabel="validation makespan gap (%)",
                    title="validation against MWKR")
    axes[0].legend()
    loss_panels(axes[1], axes[2], rows)
    fig.tight_layout()
    save_training_curves(fig, path)


def curves_summary(rows: list[dict]) -> list[dict]:
    """About ten validation rows spread over the run, for the model card."""
    validated = [r for r in rows if r.get("val_makespan") not in ("", None)]
    if not validated:
        return []
    picks = sorted({round(i * (len(validated) - 1) / 9) for i in range(10)})
    keys = ("iteration", "wall_s", "mean_makespan", "entropy", "val_makespan", "val_vs_mwkr_pct",
            "val_vs_mwkr_nd_pct")
    return [{k: float(validated[i][k]) for k in keys} for i in picks]


def _card(cfg: ConstructConfig, run_dir: Path, command: str | None, iteration: int, wall: float,
          best_val: float | None, best_seen: int | None, rows: list[dict]) -> dict:
    """What a saved constructive model says about itself."""
    started = json.loads((run_dir / "config.json").read_text())
    validated = [r for r in rows if r.get("val_makespan") not in ("", None)]
    return {"kind": APPROACH, "problem": "jssp", "network": cfg.network,
            "mode": "per_instance" if cfg.per_instance else "across_instances",
            "version": __version__, "git_commit": started.get("git_commit"),
            "command": started.get("command"), "last_command": command or " ".join(sys.argv),
            "final_commit": git_commit(), "iterations": iteration,
            "episodes": iteration * cfg.episodes,
            "decisions": int(rows[-1]["decisions"]) if rows else 0,
            "training_wall_s": round(wall, 1), "best_validation": best_val,
            "best_validation_means": ("greedy makespan of the instance" if cfg.per_instance else
                                      "mean greedy makespan gap (%) to MWKR (active) on the "
                                      "validation set; negative is better"),
            "best_makespan_seen": best_seen,
            "last_validation": {k: validated[-1][k] for k in
                                ("iteration", "val_makespan", "val_vs_mwkr_pct",
                                 "val_vs_mwkr_nd_pct")} if validated else {},
            "curves_summary": curves_summary(rows), "config": cfg.to_dict()}


def _save_best_schedule(run_dir: Path, instance_name: str, makespan: int, schedule,
                        iteration: int) -> None:
    write_atomic(run_dir / "best_schedule.json", json.dumps(
        {"instance": instance_name, "makespan": makespan, "iteration": iteration,
         "starts": np.asarray(schedule).tolist()}) + "\n")


def _read_best_schedule(run_dir: Path) -> int | None:
    path = run_dir / "best_schedule.json"
    if not path.is_file():
        return None
    data = read_json(path, "the best schedule of a constructive run")
    makespan = data.get("makespan") if isinstance(data, dict) else None
    if isinstance(makespan, bool) or not isinstance(makespan, int):
        raise InputError(f"expected an integer 'makespan', found {makespan!r}", path=path)
    return makespan


# ---- the loop ----------------------------------------------------------------------------------
def train_construct(cfg: ConstructConfig, run_dir, *, resume: bool = False,
                    progress: bool | str = True, command: str | None = None) -> ConstructSummary:
    """Train (or with ``resume`` continue) a constructive run in ``run_dir``; ``progress``:
    ``bar``, ``lines`` (a record on stderr every 30 s), ``off``, or True/False."""
    cfg = cfg.check()
    with limit_threads(cfg.threads):
        return _train(cfg, Path(run_dir), resume, progress, command)


def _train(cfg: ConstructConfig, run_dir: Path, resume: bool, progress, command) -> ConstructSummary:
    checkpoint_path = run_dir / "checkpoint.pt"
    source = EpisodeSource(cfg, env_type(cfg.network))  # loads the instance first: a bad name fails before any write
    val_instances = validation_instances(cfg)
    references = [(dispatch(i, "mwkr", "active").makespan, dispatch(i, "mwkr", "nondelay").makespan)
                  for i in val_instances]
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    policy = new_policy(cfg)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    iteration, wall, best_val, decisions = open_run(
        run_dir, resume, run_meta(cfg.to_dict(), command, approach=APPROACH), policy, optimizer, rng)
    best_seen = _read_best_schedule(run_dir) if resume and cfg.per_instance else None
    rows = read_log(run_dir / "log.csv", iteration)
    status = "completed"
    bar = Progress(cfg.iterations, "train construct", "it", initial=iteration, mode=progress)
    while iteration < cfg.iterations:
        interrupt.check()  # a Ctrl-C that numba swallowed while compiling
        if cfg.time_limit_minutes is not None and wall >= cfg.time_limit_minutes * 60:
            status = "time_limit"
            break
        tic = time.perf_counter()
        envs, seeds = source.draw(rng)
        episodes = play_episodes(policy, envs, seeds, source.slots, rng, record=True)
        losses, count = ppo_step(policy, optimizer, episodes, cfg, rng)
        iteration += 1
        decisions += count
        spans = [e.makespan for e in episodes]
        if cfg.per_instance:
            best = min(episodes, key=lambda e: e.makespan)
            if best_seen is None or best.makespan < best_seen:
                check_schedule(val_instances[0], best.schedule, best.makespan)
                best_seen = best.makespan
                _save_best_schedule(run_dir, best.instance, best.makespan, best.schedule,
                                    iteration)
        row = {"iteration": iteration, "episodes": iteration * cfg.episodes,
               "decisions": decisions, "mean_makespan": round(float(np.mean(spans)), 2),
               "best_makespan": best_seen if cfg.per_instance else "",
               **{k: round(v, 6) for k, v in losses.items()},
               "val_makespan": "", "val_vs_mwkr_pct": "", "val_vs_mwkr_nd_pct": ""}
        is_best = False
        if iteration % cfg.validate_every == 0 or iteration == cfg.iterations:
            val = validate(policy, val_instances, references)
            row.update({k: round(v, 4) for k, v in val.items()})
            if best_val is None or _score(cfg, val) < best_val:
                best_val, is_best = _score(cfg, val), True
        wall += time.perf_counter() - tic
        row["wall_s"] = round(wall, 2)
        rows.append(row)
        if is_best:
            save_construct_model(run_dir / "best.pt", policy,
                                 _card(cfg, run_dir, command, iteration, wall, best_val,
                                       best_seen, rows))
        if iteration % cfg.checkpoint_every == 0 or iteration == cfg.iterations:
            write_log(run_dir / "log.csv", rows, LOG_FIELDS)
            # the same checkpoint layout as the rewriter trainer's (core.train.restore_checkpoint);
            # best_validation holds this run's best score and global_steps its decisions
            save_checkpoint(checkpoint_path, policy, optimizer, rng, iteration, wall, best_val,
                            decisions)
        bar.update(1, makespan=row["mean_makespan"],
                   val=row["val_vs_mwkr_pct" if not cfg.per_instance else "val_makespan"] or "-")
    bar.close()
    write_log(run_dir / "log.csv", rows, LOG_FIELDS)
    if rows:
        plot_curves(rows, run_dir / "curves.png", cfg.per_instance)
    save_construct_model(run_dir / "model.pt", policy,
                         _card(cfg, run_dir, command, iteration, wall, best_val, best_seen, rows))
    return ConstructSummary(run_dir, iteration, wall, best_val, best_seen, status)
