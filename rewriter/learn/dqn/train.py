"""Training the DQN dispatcher, top to bottom: a warm start (``demo_episodes`` episodes of the best
of the 18 rules per instance, replayed as demonstrations, and ``pretrain_updates`` steps on them
alone: n-step TD plus a large-margin loss towards the teacher's actions, DQfD's recipe), then
episodes on random compatibility instances, every n-step transition into the replay buffer, a TD
step every ``train_every`` steps on a batch of which ``demo_share`` are demonstrations, the target
network copied every ``target_every`` steps, a greedy validation every ``validate_every`` episodes.

Run directory (``runs/NAME``): ``config.json`` (the :class:`DQNConfig`, package version, git
commit, command), ``log.csv`` (one row per validation), ``curves.png``, ``best.pt`` (the best
validation so far) and ``model.pt`` at the end, each with its card (``.json``), and
``checkpoint.pt``, written at every validation in the layout every trainer shares
(:func:`rewriter.learn.train.save_checkpoint`: the online network, the optimiser, the generator,
the counters) with the DQN's own state beside it (the target network, the replay buffer, torch's
generator, the log rows), so an interrupted run resumes (``resume=True``) and ends exactly as one
never interrupted.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import git_commit, torch_load_safe, torch_save_atomic
from ..train import open_run, run_meta, save_checkpoint, write_log
from ...core import interrupt
from ...core.charts import save_training_curves
from ...core.progress import Progress
from ...core.threads import limit_threads
from ...envs.compat_mdp import CompatMDP, LearnerReward
from ...errors import InputError
from ...textfile import read_json
from ...version import __version__
from .config import DQNConfig
from .features import FeatureScales, decision
from .imitation import teacher_actions, teacher_schedule
from .learn import choose, epsilon, td_step
from .model import load_dqn, save_dqn
from .network import NetConfig, QNetwork
from .replay import NStep, ReplayBuffer
from .sizes import random_instance

APPROACH = "dqn"  # config.json says which trainer wrote the run
LOG_FIELDS = ["episode", "steps", "updates", "wall_s", "epsilon", "train_return", "loss",
              "val_return", "val_makespan", "val_tardiness", "val_rule_makespan",
              "val_rule_tardiness"]
TRAIN_SEEDS = 1000  # training instances have seeds >= this: never an evaluation (0-2) or
                    # validation (100, 101) seed
REFERENCE_RULE = "edd-eet"  # its tardiness is shown beside the validation figures (the makespan
                            # beside them is the best of the 18 rules')


@dataclass
class DQNSummary:
    run_dir: Path
    episodes: int
    steps: int
    wall_s: float
    best_validation: float | None  # the largest mean validation return (unscaled)
    status: str                    # completed | time_limit


def validation_set(cfg: DQNConfig) -> list:
    """The fixed validation instances, with the best of the 18 rules' makespan and EDD's total
    tardiness (the two references of the issue's targets)."""
    from ...fjsp.dispatching import RULES, dispatch_schedule

    out = []
    for size in cfg.validation_sizes:
        for seed in cfg.validation_seeds:
            instance = random_instance(size, seed, cfg.due_dates)
            best = min(dispatch_schedule(instance, rule).values()["makespan"] for rule in RULES)
            edd = dispatch_schedule(instance, REFERENCE_RULE).values()["total_tardiness"]
            out.append((instance, best, edd))
    return out


def validate(net: QNetwork, instances: list, cfg: DQNConfig) -> dict:
    """Mean return (the learner's reward, unscaled), makespan and total tardiness of greedy
    episodes, and the references'."""
    rows = []
    with torch.inference_mode():
        for instance, rule_makespan, rule_tardiness in instances:
            mdp = CompatMDP(instance)
            ret = play_episode(mdp, cfg, lambda d, _: (net.greedy(d), None))
            values = mdp.schedule().values()
            rows.append((ret, values["makespan"], values["total_tardiness"], rule_makespan,
                         rule_tardiness))
    means = np.mean(np.array(rows, np.float64), axis=0)
    return dict(zip(("val_return", "val_makespan", "val_tardiness", "val_rule_makespan",
                     "val_rule_tardiness"), (round(float(v), 2) for v in means)))


def play_episode(mdp: CompatMDP, cfg: DQNConfig, act, store=None, after_step=None) -> float:
    """Play ``mdp`` to its end with ``act(decision, mdp) -> (action, teacher actions or None)``;
    every n-step transition goes to ``store`` (rewards scaled), ``after_step()`` runs after every
    step. Returns the learner's return, unscaled."""
    scales = FeatureScales(mdp)
    reward = LearnerReward(cfg.reward, mdp, scales.H)
    nstep = NStep(cfg.n_step, cfg.gamma)
    state, total = decision(mdp, scales, reward), 0.0
    while not mdp.over:
        action, expert = act(state, mdp)
        pair = state.action(action)
        r = reward.waited(mdp.wait()) if pair is None else reward.assigned(pair[0], mdp.assign(*pair))
        r += reward.terminal() if mdp.over else 0.0
        total += r
        following = None if mdp.over else decision(mdp, scales, reward)
        for transition in nstep.push(state, action, r / reward.scale, expert, following):
            if store is not None:
                store(transition)
        state = following
        if after_step is not None:
            after_step()
    return total


def teacher(instance, cfg: DQNConfig):
    """``act`` for :func:`play_episode` that follows the best rule's schedule of ``instance``."""
    machine, start, _ = teacher_schedule(instance, cfg.reward)

    def act(d, mdp):
        shown = teacher_actions(d, mdp, machine, start)
        return (int(shown[0]), shown) if len(shown) else (0, None)
    return act


def warm_start(cfg: DQNConfig, rng: np.random.Generator, demos: ReplayBuffer, learn,
               out_of_time) -> None:
    """The best rule's episodes as demonstrations (``cfg.demo_episodes`` random instances of the
    training sizes, into ``demos``), then ``cfg.pretrain_updates`` calls of ``learn(batch_size)``
    on them alone; both stop early once ``out_of_time()``, so the time limit holds here too (a
    large size's demonstrations and updates alone can take longer than a short limit)."""
    for k in range(cfg.demo_episodes):
        if out_of_time():
            return
        size = cfg.sizes[k % len(cfg.sizes)]
        instance = random_instance(size, int(rng.integers(TRAIN_SEEDS, 2**31)), cfg.due_dates)
        play_episode(CompatMDP(instance), cfg, teacher(instance, cfg), demos.add)
    for _ in range(cfg.pretrain_updates):
        if out_of_time():
            return
        learn(cfg.batch_size)


def train(cfg: DQNConfig, run_dir, *, resume: bool = False, progress: str = "lines",
          command: str | None = None) -> DQNSummary:
    """Train a DQN dispatcher into the new directory ``run_dir``, or with ``resume`` continue the
    run there from its checkpoint (``cfg`` is then its saved config, :func:`resume_config`)."""
    cfg = cfg.check()
    run_dir = Path(run_dir)
    if resume:
        meta = json.loads((run_dir / "config.json").read_text())
    else:
        if (run_dir / "config.json").exists():  # a run cut before its first checkpoint too
            raise FileExistsError(f"{run_dir} already holds a run; use --resume or another "
                                  "--run-dir")
        meta = run_meta(cfg.to_dict(), command, approach=APPROACH)
    with limit_threads(cfg.threads):
        return _train(cfg, run_dir, meta, progress, resume)


def resume_config(run_dir, episodes: int | None = None,
                  time_limit_minutes: float | None = None) -> DQNConfig:
    """The saved config of the run in ``run_dir``, with a new episode count or time limit."""
    path = Path(run_dir) / "config.json"
    if not path.is_file() or not (Path(run_dir) / CHECKPOINT).is_file():
        raise InputError(f"{Path(run_dir) / CHECKPOINT}: no DQN run to resume")
    try:
        values = dict(read_json(path, "the config.json of a DQN run")["config"])
    except (ValueError, KeyError, TypeError):  # InputError included: too deep, a huge integer
        raise InputError(f"{path}: not the config.json of a DQN run") from None
    if episodes is not None:
        values["episodes"] = episodes
    if time_limit_minutes is not None:
        values["time_limit_minutes"] = time_limit_minutes
    return DQNConfig.from_dict(values)


def _train(cfg: DQNConfig, run_dir: Path, meta: dict, progress: str, resume: bool) -> DQNSummary:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    online = QNetwork(NetConfig(hidden=cfg.hidden, pair_hidden=cfg.pair_hidden))
    if cfg.init_model and not resume:
        start, _ = load_dqn(cfg.init_model)
        if start.config != online.config:
            raise InputError(f"{cfg.init_model}: its architecture {start.config} is not this run's")
        online.load_state_dict(start.state_dict())
    target = copy.deepcopy(online)
    optimizer = torch.optim.Adam(online.parameters(), lr=cfg.lr)
    buffer, demos = ReplayBuffer(cfg.buffer_size), ReplayBuffer(cfg.buffer_size)
    val_instances = validation_set(cfg)
    if resume:
        _upgrade_checkpoint(run_dir / CHECKPOINT)
    saved: dict = {}
    episode, wall, best, steps = open_run(run_dir, resume, meta, online, optimizer, rng, saved)
    buffer, demos, updates, rows = (_restore_own_state(run_dir / CHECKPOINT, saved, target)
                                    if resume else (buffer, demos, 0, []))
    status, losses, returns = "completed", [], []
    bar = Progress(cfg.episodes, "dqn", "ep", initial=episode, mode=progress)
    started = time.perf_counter() - wall

    def learn(batch_size: int) -> None:
        """One TD step on a batch, ``demo_share`` of it demonstrations; the target network
        follows every ``target_every`` steps."""
        nonlocal updates
        if not len(buffer) and not len(demos):
            return  # nothing stored yet (warmup 0: the first n-step transition is still pending)
        shown = int(round(batch_size * cfg.demo_share)) if len(demos) and len(buffer) else 0
        batch = (buffer.sample(batch_size - shown, rng) if len(buffer) else []) \
            + demos.sample(shown if len(buffer) else batch_size, rng)
        online.train()
        losses.append(td_step(online, target, optimizer, batch, cfg))
        online.eval()
        updates += 1
        if updates % cfg.target_every == 0:
            target.load_state_dict(online.state_dict())

    def out_of_time() -> bool:
        return (cfg.time_limit_minutes is not None
                and time.perf_counter() - started >= cfg.time_limit_minutes * 60)

    if not resume and cfg.demo_episodes:
        warm_start(cfg, rng, demos, learn, out_of_time)
    while episode < cfg.episodes:
        interrupt.check()  # a Ctrl-C that numba swallowed while compiling
        if out_of_time():
            status = "time_limit"
            break
        # ---- one episode: act, store, learn ----------------------------------------------------
        size = cfg.sizes[episode % len(cfg.sizes)]
        mdp = CompatMDP(random_instance(size, int(rng.integers(TRAIN_SEEDS, 2**31)), cfg.due_dates))

        def after_step() -> None:
            nonlocal steps
            steps += 1
            if len(buffer) + len(demos) >= cfg.warmup and steps % cfg.train_every == 0:
                learn(cfg.batch_size)

        act = lambda d, _: (choose(online, d, epsilon(cfg, steps), rng), None)  # noqa: E731
        returns.append(play_episode(mdp, cfg, act, buffer.add, after_step))
        episode += 1
        # ---- validation, log, best model -------------------------------------------------------
        if episode % cfg.validate_every == 0 or episode == cfg.episodes:
            row = {"episode": episode, "steps": steps, "updates": updates,
                   "wall_s": round(time.perf_counter() - started, 1),
                   "epsilon": round(epsilon(cfg, steps), 4),
                   "train_return": round(float(np.mean(returns)), 2),
                   "loss": round(float(np.mean(losses)), 5) if losses else "",
                   **validate(online, val_instances, cfg)}
            rows.append(row)
            returns, losses = [], []
            write_log(run_dir / "log.csv", rows, LOG_FIELDS)
            if best is None or row["val_return"] > best:
                best = row["val_return"]
                save_dqn(run_dir / "best.pt", online, _card(cfg, meta, rows, row))
            # at a validation, where the running means of returns and losses are empty
            save_checkpoint(run_dir / CHECKPOINT, online, optimizer, rng, episode,
                            time.perf_counter() - started, best, steps,
                            extra={"target": target.state_dict(), "buffer": buffer.state(),
                                   "demos": demos.state(),
                                   "torch_rng": torch.get_rng_state(), "updates": updates,
                                   "rows": rows})
            bar.update(cfg.validate_every, val=row["val_return"], mk=row["val_makespan"])
    bar.close()
    wall = time.perf_counter() - started
    if rows:
        plot_curves(rows, run_dir / "curves.png")
    # the last weights: episodes after the last validation count, its figures only if it was now
    last = rows[-1] if rows and rows[-1]["episode"] == episode else {}
    save_dqn(run_dir / "model.pt", online,
             _card(cfg, meta, rows, {**last, "episode": episode, "steps": steps,
                                     "wall_s": round(wall, 1)}))
    return DQNSummary(run_dir, episode, steps, wall, best, status)


# ---- run directory -----------------------------------------------------------------------------
CHECKPOINT = "checkpoint.pt"


def _restore_own_state(path: Path, saved: dict,
                       target: QNetwork) -> tuple[ReplayBuffer, ReplayBuffer, int, list[dict]]:
    """(replay buffer, demonstrations, updates, log rows) of a resumed run, from the state it saved
    beside the shared checkpoint (``saved``, which :func:`open_run` filled), loaded into ``target`` and
    torch's generator."""
    try:
        target.load_state_dict(saved["target"])
        torch.set_rng_state(saved["torch_rng"])
        buffer = ReplayBuffer.restore(saved["buffer"])
        # a run checkpointed before the warm start existed has no demonstrations, and gets none
        demos = (ReplayBuffer.restore(saved["demos"]) if "demos" in saved
                 else ReplayBuffer(buffer.capacity))
        return buffer, demos, int(saved["updates"]), list(saved["rows"])
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise InputError(f"{path}: not a checkpoint of a DQN run ({exc.__class__.__name__})") \
            from None


def _upgrade_checkpoint(path: Path) -> None:
    """Rewrite, in the shared layout, a checkpoint written before the DQN trainer used it (its
    networks under ``online`` and ``target``), so a run begun then resumes as it would have."""
    if not path.is_file():
        return  # open_run says there is nothing to resume
    blob = torch_load_safe(path, "DQN training checkpoint")
    if not isinstance(blob, dict) or "online" not in blob:
        return
    try:
        shared = {"model": blob["online"], "optimizer": blob["optimizer"], "rng": blob["rng"],
                  "iteration": int(blob["episode"]), "wall_s": float(blob["wall_s"]),
                  "best_validation": blob["best"], "global_steps": int(blob["steps"]),
                  "extra": {"target": blob["target"], "buffer": blob["buffer"],
                            "torch_rng": blob["torch_rng"], "updates": int(blob["updates"]),
                            "rows": json.loads(blob["rows"])}}
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a checkpoint of a DQN run ({exc.__class__.__name__})") \
            from None
    torch_save_atomic(shared, path)


def _card(cfg: DQNConfig, meta: dict, rows: list[dict], at: dict) -> dict:
    """What a saved network says about itself: how it was trained and how it validated."""
    best = max(rows, key=lambda r: r["val_return"]) if rows else {}
    return {"kind": "fjsp DQN dispatcher", "version": __version__, "command": meta["command"],
            "git_commit": meta["git_commit"], "final_commit": git_commit(),
            "episodes": at.get("episode"), "steps": at.get("steps"), "wall_s": at.get("wall_s"),
            "validation_at_save": {k: v for k, v in at.items() if k.startswith("val_")},
            "best_validation": {k: v for k, v in best.items() if k.startswith("val_") or k == "episode"},
            "curve": [{k: r[k] for k in ("episode", "train_return", "val_return", "val_makespan",
                                          "val_tardiness")} for r in rows],
            "config": cfg.to_dict()}


def plot_curves(rows: list[dict], path: Path) -> None:
    """Training return, validation return, and validation makespan / tardiness against the rule."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["episode"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(x, [r["train_return"] for r in rows], lw=0.8, label="training (epsilon-greedy)")
    axes[0].plot(x, [r["val_return"] for r in rows], "o-", ms=3, label="validation (greedy)")
    axes[0].set(xlabel="episode", title="return")
    axes[0].legend()
    for ax, key, title in ((axes[1], "makespan", "validation makespan"),
                           (axes[2], "tardiness", "validation total tardiness")):
        ax.plot(x, [r[f"val_{key}"] for r in rows], "o-", ms=3, label="DQN")
        ax.plot(x, [r[f"val_rule_{key}"] for r in rows], "--",
                label=REFERENCE_RULE if key == "tardiness" else "best of the 18 rules")
        ax.set(xlabel="episode", title=title)
        ax.legend()
    fig.tight_layout()
    save_training_curves(fig, path)
