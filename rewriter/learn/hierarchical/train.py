"""Training the hierarchical policy with PPO (GAE) on random production-like instances growing
from 50 to 500 jobs.

Read top to bottom: :func:`train_hierarchical` opens the run directory, then loops: the
curriculum's stage -> that size's random ``prod``-family instances (seeds from 1000 up, never the
evaluation seeds 0-2) -> one sampled episode in each, side by side (:func:`~.rollout.play`) ->
GAE targets (:func:`rewriter.learn.construct.ppo.gae`) -> PPO epochs over the decisions
(:func:`ppo_update`: the constructive trainers' loop and the losses of
:mod:`rewriter.learn.algorithms`) -> log -> validate ->
checkpoint. Every hyperparameter is in :class:`~.config.HierarchicalConfig`.

The first ``imitation_iterations`` iterations are the warm start (:mod:`.imitation`): the
episodes are mwkr-eet's, and both heads learn its choices, the critic its returns; PPO follows.

One decision is one operation placed: the job and the machine choice together, its
log-probability the sum of the two heads', its entropy the job head's plus the machine head's at
the job taken. The reward is minus the makespan increment divided by the instance's trivial lower
bound (instances of every size weigh alike; the return is minus makespan / bound). The
environment counts two steps per decision; ``timesteps`` counts those.

Validation: the greedy schedules of fixed instances (``validation_sizes`` x
``validation_seeds``), their makespan gap (%) to mwkr-eet's and to the best of the 18 rules';
``best.pt`` keeps the policy of the best mean gap to the best rule. The run directory is the other
trainers': ``config.json``, ``log.csv``, ``curves.png``, ``checkpoint.pt`` (resumable),
``best.pt`` and ``model.pt`` with their cards.

``init_model`` starts from a model file's weights instead (to continue a shipped policy): they
are validated before the first iteration (the log's iteration 0) and that figure is the one to
beat, so ``best.pt`` is only written for a policy better than them on the validation set.

Run: ``rewriter train --approach hierarchical --run-dir runs/NAME [--FIELD VALUE ...]
[--resume]`` (:mod:`rewriter.cli.train_hierarchical`).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ...core.progress import Progress
from ...core.charts import log_series, loss_panels, save_training_curves
from ...core.threads import limit_threads
from ...envs.flexible_mdp import FlexibleMDP
from ...errors import InputError
from ...fjsp.dispatching import RULES, dispatch_schedule
from ...fjsp.generate import production_instance
from ...textfile import read_json
from ...version import __version__
from ..checkpoint import git_commit
from ..construct.policy import masked_entropy
from ..construct.ppo import gae, ppo_epochs
from ..train import open_run, read_log, run_meta, save_checkpoint, write_log
from .config import HierarchicalConfig, parse_size
from .dispatch import hierarchical_schedule
from .imitation import imitation_update, teacher_episodes
from .model_file import load_hierarchical, save_hierarchical
from .policy import HierarchicalPolicy, PolicyConfig
from .rollout import Episode, play

APPROACH = "hierarchical"
TRAINING_SEEDS_FROM = 1000  # training instances' seeds: 1000 + a draw, apart from eval and validation
LOG_FIELDS = ["iteration", "wall_s", "phase", "timesteps", "stage", "size", "episodes",
              "mean_makespan",
              "train_vs_mwkr_pct", "loss", "policy_loss", "value_loss", "entropy", "approx_kl",
              "val_vs_mwkr_pct", "val_vs_best_rule_pct"]


# ---- validation --------------------------------------------------------------------------------
def validation_set(cfg: HierarchicalConfig) -> list[tuple]:
    """(instance, mwkr-eet makespan, best rule makespan) of every validation instance."""
    out = []
    for size in cfg.validation_sizes:
        n, m = parse_size(size, "validation_sizes")
        for seed in cfg.validation_seeds:
            inst = production_instance(n, m, seed)
            spans = {rule: dispatch_schedule(inst, rule).makespan for rule in RULES}
            out.append((inst, spans["mwkr-eet"], min(spans.values())))
    return out


def validate(policy: HierarchicalPolicy, references: list[tuple], jobs: str) -> dict:
    """Mean greedy makespan gaps (%) to mwkr-eet and to the best rule (negative: better)."""
    gaps = np.array([[(span - mwkr) / mwkr * 100, (span - best) / best * 100]
                     for inst, mwkr, best in references
                     for span in [hierarchical_schedule(inst, policy, jobs).makespan]])
    return {"val_vs_mwkr_pct": float(gaps[:, 0].mean()),
            "val_vs_best_rule_pct": float(gaps[:, 1].mean())}


# ---- the PPO step ------------------------------------------------------------------------------
def rollout_batch(episodes: list[Episode], cfg: HierarchicalConfig) -> dict[str, torch.Tensor]:
    """Every decision of the episodes (one size) as tensors, with its advantage and return."""
    advantages, returns = [], []
    for e in episodes:
        adv, ret = gae(np.asarray(e.rewards), np.asarray(e.values), cfg.gamma, cfg.gae_lambda)
        advantages.append(adv)
        returns.append(ret)

    def stacked(name, dtype):
        return torch.from_numpy(np.concatenate([np.asarray(getattr(e, name), dtype)
                                                for e in episodes]))

    batch = {name: stacked(name, dtype) for name, dtype in (
        ("jobs", np.float32), ("alive", np.bool_), ("pickable", np.bool_),
        ("job_machines", np.float32), ("machines", np.float32), ("eligible", np.bool_),
        ("job_actions", np.int64), ("machine_actions", np.int64), ("log_probs", np.float32))}
    batch["advantages"] = torch.from_numpy(np.concatenate(advantages).astype(np.float32))
    batch["returns"] = torch.from_numpy(np.concatenate(returns).astype(np.float32))
    return batch


def ppo_update(policy: HierarchicalPolicy, optimizer, batch: dict, cfg: HierarchicalConfig,
               rng: np.random.Generator) -> dict[str, float]:
    """``cfg.ppo_epochs`` passes of clipped PPO over ``batch`` (the constructive trainers' loop,
    :func:`rewriter.learn.construct.ppo.ppo_epochs`); a decision's log-probability is its job's
    plus its machine's, its entropy the job head's plus the machine head's."""

    def terms(idx):
        part = {k: v[idx] for k, v in batch.items()}
        job_lp, machine_lp, values = policy.evaluate(part)
        new = (job_lp.gather(1, part["job_actions"][:, None]).squeeze(1)
               + machine_lp.gather(1, part["machine_actions"][:, None]).squeeze(1))
        return new, values, lambda: (masked_entropy(job_lp) + masked_entropy(machine_lp)).mean()

    return ppo_epochs(policy, optimizer, batch, len(batch["job_actions"]), terms, cfg, rng)


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


# ---- the iteration's instances -----------------------------------------------------------------
def draw_instances(cfg: HierarchicalConfig, stage: int, rng: np.random.Generator) -> list:
    """Random ``prod``-family instances of the stage's size, as many as make about
    ``decisions_per_iteration`` operations (three per job on average)."""
    n, m = parse_size(cfg.stages[stage])
    count = max(1, math.ceil(cfg.decisions_per_iteration / (3 * n)))
    seeds = TRAINING_SEEDS_FROM + rng.integers(2**30, size=count)
    return [production_instance(n, m, int(seed)) for seed in seeds]


# ---- run directory -----------------------------------------------------------------------------
def plot_curves(rows: list[dict], path: Path) -> None:
    """Validation gaps to the rules, losses and entropy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for key, label in (("train_vs_mwkr_pct", "training episodes vs mwkr-eet"),
                       ("val_vs_mwkr_pct", "greedy validation vs mwkr-eet"),
                       ("val_vs_best_rule_pct", "greedy validation vs best rule")):
        axes[0].plot(*log_series(rows, key), lw=0.8, label=label)
    axes[0].axhline(0.0, color="grey", lw=0.6)
    axes[0].set(xlabel="iteration", ylabel="makespan gap (%)", title="against the rules")
    axes[0].legend(fontsize=7)
    loss_panels(axes[1], axes[2], rows)
    fig.tight_layout()
    save_training_curves(fig, path)


def _card(cfg: HierarchicalConfig, run_dir: Path, iteration: int, wall: float, steps: int,
          best_val, rows: list[dict]) -> dict:
    started = json.loads((run_dir / "config.json").read_text())
    validated = [r for r in rows if r.get("val_vs_best_rule_pct") not in ("", None)]
    return {"kind": APPROACH, "problem": "fjsp", "version": __version__,
            "git_commit": started.get("git_commit"), "command": started.get("command"),
            "final_commit": git_commit(), "iterations": iteration, "timesteps": steps,
            "decisions": steps // 2, "training_wall_s": round(wall, 1),
            "best_validation_vs_best_rule_pct": best_val,
            "validation": {"sizes": list(cfg.validation_sizes),
                           "seeds": list(cfg.validation_seeds)},
            "last_validation": {k: validated[-1][k] for k in
                                ("iteration", "val_vs_mwkr_pct", "val_vs_best_rule_pct")}
            if validated else {}, "config": cfg.to_dict()}


# ---- the loop ----------------------------------------------------------------------------------
def resume_config(run_dir, given: dict) -> HierarchicalConfig:
    """The saved config of the run in ``run_dir``, with the ``given`` options (a new
    ``timesteps`` or ``time_limit_minutes``) over it."""
    path = Path(run_dir) / "config.json"
    if not path.is_file() or not (Path(run_dir) / "checkpoint.pt").is_file():
        raise InputError(f"{Path(run_dir) / 'checkpoint.pt'}: no hierarchical run to resume")
    try:
        values = dict(read_json(path, "the config.json of a hierarchical run")["config"])
    except (ValueError, KeyError, TypeError):  # InputError included
        raise InputError(f"{path}: not the config.json of a hierarchical run") from None
    values.setdefault("init_model", "")  # runs saved before the option existed
    return HierarchicalConfig.from_dict({**values, **given})


def train_hierarchical(cfg: HierarchicalConfig, run_dir, *, resume: bool = False,
                       progress: str = "off", command: str | None = None) -> dict:
    """Train (or with ``resume`` continue) a run in ``run_dir``; returns its summary.
    ``progress``: bar, lines or off (:class:`rewriter.core.progress.Progress`, over timesteps)."""
    cfg = cfg.check()
    with limit_threads(cfg.threads):
        return _train(cfg, Path(run_dir), resume, progress, command)


def _start_from(policy: HierarchicalPolicy, path: str) -> None:
    """Load a model file's weights into ``policy`` (same architecture, or one clear error)."""
    start, _ = load_hierarchical(path)
    if start.config != policy.config:
        raise InputError(f"{path}: its architecture {start.config} is not this run's "
                         f"(hidden {policy.config.hidden})")
    policy.load_state_dict(start.state_dict())


def _train(cfg: HierarchicalConfig, run_dir: Path, resume: bool, progress: str, command) -> dict:
    references = validation_set(cfg)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    policy = HierarchicalPolicy(PolicyConfig(cfg.hidden))
    if cfg.init_model and not resume:
        _start_from(policy, cfg.init_model)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    iteration, wall, best_val, steps = open_run(
        run_dir, resume, run_meta(cfg.to_dict(), command, approach=APPROACH), policy, optimizer,
        rng)
    rows = read_log(run_dir / "log.csv", iteration)
    if cfg.init_model and not resume:  # the starting weights' figure is the one to beat
        val = validate(policy, references, cfg.jobs)
        best_val = val["val_vs_best_rule_pct"]
        rows.append({"iteration": 0, "wall_s": 0.0, "phase": "init", "timesteps": 0,
                     **{k: round(v, 3) for k, v in val.items()}})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    bar = Progress(cfg.timesteps, APPROACH, "step", initial=steps, mode=progress)
    status = "completed"
    while steps < cfg.timesteps:
        if cfg.time_limit_minutes is not None and wall >= cfg.time_limit_minutes * 60:
            status = "time_limit"
            break
        tic, row_steps_before = time.perf_counter(), steps
        imitating = iteration < cfg.imitation_iterations
        stage = iteration % len(cfg.stages) if imitating else cfg.stage_of(steps, wall)
        instances = draw_instances(cfg, stage, rng)
        if imitating:
            episodes = teacher_episodes(instances, cfg.jobs)
            _set_lr(optimizer, cfg.imitation_lr)
            losses = imitation_update(policy, optimizer,
                                      rollout_batch(episodes, replace(cfg, gae_lambda=1.0)),
                                      cfg.ppo_epochs, cfg.minibatch, cfg.value_coef, rng)
        else:
            episodes = play(policy, [FlexibleMDP(inst, cfg.jobs) for inst in instances], rng,
                            record=True)
            _set_lr(optimizer, cfg.lr)
            losses = ppo_update(policy, optimizer, rollout_batch(episodes, cfg), cfg, rng)
            steps += 2 * sum(len(e.rewards) for e in episodes)
        iteration += 1
        mwkr = [dispatch_schedule(inst, "mwkr-eet").makespan for inst in instances]
        row = {"iteration": iteration, "phase": "imitation" if imitating else "ppo",
               "timesteps": steps, "stage": stage,
               "size": cfg.stages[stage], "episodes": len(episodes),
               "mean_makespan": round(float(np.mean([e.makespan for e in episodes])), 2),
               "train_vs_mwkr_pct": round(float(np.mean([(e.makespan - r) / r * 100 for e, r in
                                                         zip(episodes, mwkr)])), 3),
               "entropy": "", "approx_kl": "", **{k: round(v, 6) for k, v in losses.items()},
               "val_vs_mwkr_pct": "", "val_vs_best_rule_pct": ""}
        is_best = False
        if iteration % cfg.validate_every == 0:
            val = validate(policy, references, cfg.jobs)
            row.update({k: round(v, 3) for k, v in val.items()})
            if best_val is None or val["val_vs_best_rule_pct"] < best_val:
                best_val, is_best = val["val_vs_best_rule_pct"], True
        wall += time.perf_counter() - tic
        row["wall_s"] = round(wall, 1)
        rows.append(row)
        bar.update(steps - row_steps_before, it=iteration, train=row["train_vs_mwkr_pct"],
                   **({"val": row["val_vs_best_rule_pct"]} if row["val_vs_best_rule_pct"] != ""
                      else {}))
        if is_best:
            save_hierarchical(run_dir / "best.pt", policy,
                              _card(cfg, run_dir, iteration, wall, steps, best_val, rows), cfg.jobs)
        write_log(run_dir / "log.csv", rows, LOG_FIELDS)
        save_checkpoint(run_dir / "checkpoint.pt", policy, optimizer, rng, iteration, wall,
                        best_val, steps)
    bar.close()
    write_log(run_dir / "log.csv", rows, LOG_FIELDS)
    if rows:
        plot_curves(rows, run_dir / "curves.png")
    save_hierarchical(run_dir / "model.pt", policy,
                      _card(cfg, run_dir, iteration, wall, steps, best_val, rows), cfg.jobs)
    return {"run_dir": str(run_dir), "iterations": iteration, "timesteps": steps,
            "wall_s": round(wall, 1), "best_validation_vs_best_rule_pct": best_val,
            "status": status}
