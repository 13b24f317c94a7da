"""Training a rewrite policy: rollouts of parallel episodes, then a REINFORCE or PPO update.

Read top to bottom: ``train`` sets up the run directory, then loops rollout -> targets -> update
-> log -> validate -> checkpoint. Everything it needs is in :class:`TrainConfig`; the problem is
only reached through :mod:`rewriter.core.problem`, so the same code trains every problem's policy.

Run directory (``runs/NAME``): ``config.json`` (config, version, commit, command), ``log.csv``
(one row per iteration), ``curves.png``, ``checkpoint.pt`` (latest, written atomically after
every iteration: model, optimiser, random state, counters), ``best.pt`` (best validation) and
``model.pt`` + ``model.json`` (the final policy and its card). ``resume=True`` continues from
``checkpoint.pt`` and gives the same parameters as a run that was never interrupted.
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..version import __version__
from ..atomic import write_atomic
from .act import Step, rewrite_step
from .algorithms import ppo_loss, reinforce_loss, value_loss
from ..core.charts import log_series, save_training_curves
from .checkpoint import git_commit, save_model, torch_load_safe, torch_save_atomic
from .config import TrainConfig, machine_cores
from .distributed import World, join_world, leave_world, minibatch_slices
from .policy import Candidates, ModelConfig, RewritePolicy, entropy
from ..core.problem import RewriteProblem
from ..core import interrupt
from ..core.progress import Progress
from .search import learned_search
from ..core.threads import limit_threads

LOG_FIELDS = ["iteration", "wall_s", "episodes", "steps", "mean_return", "improvement_pct",
              "loss", "policy_loss", "value_loss", "entropy", "p_c",
              "val_improvement_pct", "val_cost_ratio", "imitation_loss"]


@dataclass
class TrainSummary:
    """How a run ended; ``world_size`` processes trained it, spending ``comm_s`` seconds in
    ``syncs`` gradient all-reduces (this rank's count; 0 for one process)."""

    run_dir: Path
    iterations: int
    wall_s: float
    best_validation: float | None
    status: str  # completed | time_limit
    world_size: int = 1
    comm_s: float = 0.0
    syncs: int = 0


# ---- rollout -----------------------------------------------------------------------------------
def collect(problem: RewriteProblem, model: RewritePolicy, cfg: TrainConfig,
            rng: np.random.Generator, iteration: int, p_c: float | None):
    """Run ``cfg.episodes`` episodes of ``cfg.episode_steps`` rewrites side by side.

    Returns per-episode lists of (step, reward) and the mean improvement of the best cost (%)."""
    allowed = cfg.sizes
    if cfg.curriculum:
        stage = 1 + (iteration * len(cfg.sizes)) // max(cfg.iterations, 1)
        allowed = cfg.sizes[:min(stage, len(cfg.sizes))]
    states = []
    for _ in range(cfg.episodes):
        instance = problem.sample_instance(rng, str(rng.choice(allowed)))
        rule = str(rng.choice(cfg.init_rules))
        states.append(problem.initial_state(instance, rule, seed=int(rng.integers(2**31))))
    initial = [s.cost() for s in states]
    best = list(initial)
    episodes: list[list[tuple[Step, float]]] = [[] for _ in states]
    active = list(range(len(states)))
    model.eval()
    for _ in range(cfg.episode_steps):
        if not active:
            break
        steps = rewrite_step(model, [states[b] for b in active], rng,
                             negative_q_keep=p_c if cfg.negative_q_resample else None,
                             expert=cfg.imitation_coef > 0)
        still = []
        for b, step in zip(active, steps):
            if step.action < 0:  # nothing left to rewrite: the episode ends here
                continue
            still.append(b)
            if cfg.reward == "best":
                gain = max(best[b] - step.cost_after, 0.0)
            else:
                gain = step.cost_before - step.cost_after
            best[b] = min(best[b], step.cost_after)
            episodes[b].append((step, gain / states[b].cost_scale() * cfg.reward_scale))
        active = still
    improvement = float(np.mean([(i - b) / i * 100 if i else 0.0 for i, b in zip(initial, best)]))
    return episodes, improvement


def targets(episodes, cfg: TrainConfig):
    """Flatten episodes into (step, return, advantage) with discounted returns and GAE."""
    out = []
    for episode in episodes:
        if not episode:
            continue
        rewards = np.array([r for _, r in episode], np.float64)
        values = np.array([s.value for s, _ in episode] + [0.0], np.float64)
        returns = np.zeros_like(rewards)
        advantages = np.zeros_like(rewards)
        running, gae = 0.0, 0.0
        for t in range(len(rewards) - 1, -1, -1):
            running = rewards[t] + cfg.gamma * running
            returns[t] = running
            delta = rewards[t] + cfg.gamma * values[t + 1] - values[t]
            gae = delta + cfg.gamma * cfg.gae_lambda * gae
            advantages[t] = gae
        out.extend((step, float(g), float(a)) for (step, _), g, a in
                   zip(episode, returns, advantages))
    return out


# ---- update ------------------------------------------------------------------------------------
LOSS_KEYS = ("loss", "policy_loss", "value_loss", "entropy", "imitation_loss")


def update(model: RewritePolicy, optimizer, records, cfg: TrainConfig, rng,
           world: World | None = None) -> dict:
    """One REINFORCE pass or ``ppo_epochs`` PPO passes over the rollout, in minibatches; with a
    ``world`` of several ranks, this rank's share of a data-parallel update (:func:`_update_shard`)."""
    if world is not None and world.size > 1:
        return _update_shard(model, optimizer, records, cfg, rng, world)
    if not records:
        return {key: 0.0 for key in LOSS_KEYS}
    model.train()
    adv_all = np.array([a for _, _, a in records])
    adv_all = (adv_all - adv_all.mean()) / (adv_all.std() + 1e-8)
    epochs = cfg.ppo_epochs if cfg.algo == "ppo" else 1
    sums = {key: 0.0 for key in LOSS_KEYS}
    count = 0
    for _ in range(epochs):
        order = rng.permutation(len(records))
        for lo in range(0, len(order), cfg.minibatch):
            idx = order[lo:lo + cfg.minibatch]
            loss, parts = _minibatch_loss(model, [records[i] for i in idx], adv_all[idx], cfg)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            for key, val in parts.items():
                sums[key] += float(val.detach())
            count += 1
    return {k: v / count for k, v in sums.items()}


def _update_shard(model: RewritePolicy, optimizer, records, cfg: TrainConfig, rng,
                  world: World) -> dict:
    """This rank's part of a data-parallel update: advantages normalised over every rank's
    records, the same number of gradient steps on every rank, each step on a slice of this
    rank's records whose gradient is weighted by the slice's share of the global minibatch and
    summed over the ranks (:meth:`World.sum_gradients`) before the step."""
    adv = np.array([a for _, _, a in records], np.float64)
    total, squares, n = world.sum([adv.sum(), (adv ** 2).sum(), len(adv)])
    if n == 0:
        return {key: 0.0 for key in LOSS_KEYS}
    mean = total / n
    adv = (adv - mean) / (math.sqrt(max(squares / n - mean ** 2, 0.0)) + 1e-8)
    counts = world.gather(len(records))
    steps = minibatch_slices(counts, cfg.minibatch)
    # every rank's slice sizes follow from its record count (np.array_split), so each rank
    # knows the global size of every step without asking
    global_sizes = [sum(c // steps + (k < c % steps) for c in counts) for k in range(steps)]
    model.train()
    epochs = cfg.ppo_epochs if cfg.algo == "ppo" else 1
    sums = {key: 0.0 for key in LOSS_KEYS}
    weight = 0
    for _ in range(epochs):
        for k, idx in enumerate(np.array_split(rng.permutation(len(records)), steps)):
            if global_sizes[k] == 0:
                continue
            optimizer.zero_grad()
            if len(idx):
                loss, parts = _minibatch_loss(model, [records[i] for i in idx], adv[idx], cfg)
                (loss * (len(idx) / global_sizes[k])).backward()
                for key, val in parts.items():
                    sums[key] += float(val.detach()) * len(idx)
            world.sum_gradients(model.parameters())
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            weight += global_sizes[k]
    reduced = world.sum([sums[key] for key in LOSS_KEYS])
    return {key: value / weight for key, value in zip(LOSS_KEYS, reduced)}


def _minibatch_loss(model: RewritePolicy, batch, adv: np.ndarray, cfg: TrainConfig):
    """The loss of one minibatch of (step, return, advantage) records, and its parts."""
    node = model.config.formulation == "node"
    steps = [s for s, _, _ in batch]
    cands = Candidates.stack([(s.pairs, s.features) for s in steps],
                             masks=[s.mask for s in steps])
    out = model([s.graph for s in steps], cands)
    chosen = torch.from_numpy(cands.offsets[:-1] + np.array([s.action for s in steps]))
    log_prob = out["log_prob"][chosen]
    returns = torch.tensor([g for _, g, _ in batch], dtype=torch.float32)
    n_states = len(steps)
    ent = entropy(out["log_prob"], torch.from_numpy(cands.state), n_states).mean()
    if cfg.algo == "ppo":
        old = torch.tensor([s.log_prob for s in steps], dtype=torch.float32)
        policy_loss = ppo_loss(log_prob, old, torch.tensor(adv, dtype=torch.float32), cfg.clip)
        critic_loss = value_loss(out["value"], returns)
        loss = policy_loss + cfg.value_coef * critic_loss - cfg.entropy_coef * ent
    elif node:
        # NeuRewriter: Q(s, w) regresses the return; the rule policy uses it as baseline
        q = out["q"][chosen]
        critic_loss = value_loss(q, returns)
        policy_loss = reinforce_loss(out["rule_log_prob"][chosen], returns, q)
        loss = critic_loss + cfg.alpha * policy_loss - cfg.entropy_coef * ent
    else:
        value = out["value"]
        critic_loss = value_loss(value, returns)
        policy_loss = reinforce_loss(log_prob, returns, value)
        loss = policy_loss + cfg.value_coef * critic_loss - cfg.entropy_coef * ent
    imitation = _imitation_loss(out["log_prob"], cands, steps)
    if cfg.imitation_coef > 0:
        loss = loss + cfg.imitation_coef * imitation
    return loss, {"loss": loss, "policy_loss": policy_loss, "value_loss": critic_loss,
                  "entropy": ent, "imitation_loss": imitation}


def _imitation_loss(log_prob: torch.Tensor, cands: Candidates, steps) -> torch.Tensor:
    """Mean -log p(expert's choice) over the steps that have one (0 when none has)."""
    rows = [cands.offsets[i] + s.expert for i, s in enumerate(steps)
            if s.expert >= 0 and cands.mask[cands.offsets[i] + s.expert]]
    if not rows:
        return log_prob.new_zeros(())
    return -log_prob[torch.tensor(rows, dtype=torch.int64)].mean()


# ---- validation --------------------------------------------------------------------------------
def validate(problem: RewriteProblem, model: RewritePolicy, instances, cfg: TrainConfig) -> dict:
    """Mean improvement (%) of the best cost over the initial one, and best cost / scale."""
    gains, ratios = [], []
    for k, instance in enumerate(instances):
        state = problem.initial_state(instance, cfg.validation_init, seed=k)
        result = learned_search(state, model, cfg.validation_steps, seed=k, keep_on_interrupt=False,
                                argmax=cfg.validation_decoding == "argmax")
        gains.append((result.initial_cost - result.best_cost) / max(result.initial_cost, 1e-9) * 100)
        ratios.append(result.best_cost / state.cost_scale())
    return {"val_improvement_pct": float(np.mean(gains)), "val_cost_ratio": float(np.mean(ratios))}


# ---- run directory -----------------------------------------------------------------------------
def read_log(path: Path, upto: int) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return [row for row in csv.DictReader(fh) if int(row["iteration"]) <= upto]


def write_log(path: Path, rows: list[dict], fields: list[str] = LOG_FIELDS) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())


def plot_curves(rows: list[dict], path: Path) -> None:
    """Learning curves: training and validation improvement, losses and entropy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(key):
        return log_series(rows, key)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    x, y = series("improvement_pct")
    axes[0].plot(x, y, lw=0.8, label="training episodes")
    x, y = series("val_improvement_pct")
    axes[0].plot(x, y, "o-", label="validation")
    axes[0].set(xlabel="iteration", ylabel="best cost improvement (%)", title="improvement")
    axes[0].legend()
    for key in ("policy_loss", "value_loss", "imitation_loss"):
        x, y = series(key)
        axes[1].plot(x, y, lw=0.8, label=key)
    axes[1].set(xlabel="iteration", title="losses")
    axes[1].legend()
    x, y = series("entropy")
    axes[2].plot(x, y, lw=0.8)
    axes[2].set(xlabel="iteration", title="policy entropy")
    fig.tight_layout()
    save_training_curves(fig, path)


def model_options(cfg: TrainConfig) -> dict:
    """What a loaded model needs to rebuild its problem (candidate set, resource count)."""
    return dict(cfg.problem_options)


def warm_start(model: RewritePolicy, path, problem: str | None = None) -> dict | None:
    """Copy the weights of the model file ``path`` into ``model`` (same architecture); returns
    the source's card, if it has one, so the new model's card can say where it started.

    A source that reads fewer pair features (a model trained before the problem gained some;
    new features are always appended) is widened: the new features' input weights start at
    zero, so the warm-started policy first acts exactly as its source did. ``hgat_machines``
    names no weights: the run's own applies."""
    from ..errors import InputError
    from .checkpoint import load_model

    source, meta = load_model(path)
    if problem is not None and meta.get("problem") != problem:
        raise InputError(f"{path}: --init-model was trained for {meta.get('problem')}, not "
                         f"{problem}")
    weights = source.state_dict()
    extra = model.config.pair_features - source.config.pair_features
    if extra > 0 and replace(source.config, pair_features=model.config.pair_features) == model.config:
        first = "pair_scorer.0.weight"
        weights[first] = torch.cat([weights[first], weights[first].new_zeros(
            weights[first].shape[0], extra)], dim=1)
    elif replace(source.config, hgat_machines=model.config.hgat_machines) != model.config:
        theirs, ours = source.config.to_dict(), model.config.to_dict()
        raise InputError(f"{path}: --init-model's architecture differs from this run's: "
                         + ", ".join(f"{k} {theirs[k]!r} (this run: {ours[k]!r})"
                                     for k in ours if theirs[k] != ours[k] and k != "hgat_machines"))
    model.load_state_dict(weights)
    return meta.get("card")


def _init_model_card(started: dict, cfg: TrainConfig) -> dict | None:
    """The card of the model a run warm-started from: saved with the run when it started, else
    (runs started before cards were chained) read from the file if it is still there."""
    if not cfg.init_model:
        return None
    if "init_model_card" in started:
        return started["init_model_card"]
    from .checkpoint import read_card

    return read_card(Path(cfg.init_model).with_suffix(".json"))


def _saved_config(path: Path) -> dict:
    """The ``config`` object of a run's config.json; an InputError for anything else."""
    from ..errors import InputError
    from ..textfile import read_json

    saved = read_json(path, "the config.json of a training run")
    values = saved.get("config") if isinstance(saved, dict) else None
    if not isinstance(values, dict):
        raise InputError("expected the config.json of a training run (an object with 'config')",
                         path=path)
    return values


def resume_config(run_dir, iterations: int | None = None,
                  time_limit_minutes: float | None = None,
                  problem_options: tuple[str, ...] = ()) -> TrainConfig:
    """The saved config of a run, with a new iteration count or time limit if given."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no run to resume")
    values = _saved_config(path)
    # runs saved before validation_decoding existed validated by sampling; resume them so
    values.setdefault("validation_decoding", "sample")
    # runs saved before hgat_machines existed passed messages along every eligible machine
    values.setdefault("hgat_machines", 0)
    if iterations is not None:
        values["iterations"] = iterations
    if time_limit_minutes is not None:
        values["time_limit_minutes"] = time_limit_minutes
    threads = values.get("threads")
    if isinstance(threads, int) and not isinstance(threads, bool) and threads > machine_cores():
        values["threads"] = machine_cores()  # saved on a larger machine: as many as this one has
    return TrainConfig.from_dict(values, problem_options)


def _card(cfg: TrainConfig, run_dir: Path, command: str | None, iteration: int, wall: float,
          best_val: float | None, rows: list[dict]) -> dict:
    """What a saved policy says about itself: how it was trained, for how long, how it validated."""
    started = json.loads((run_dir / "config.json").read_text())
    validated = [r for r in rows if r.get("val_improvement_pct") not in ("", None)]
    card = {"problem": cfg.problem, "options": model_options(cfg), "version": __version__,
            "git_commit": started.get("git_commit"), "command": started.get("command"),
            "last_command": command or " ".join(sys.argv), "final_commit": git_commit(),
            "iterations": iteration, "training_wall_s": round(wall, 1),
            "best_validation_improvement_pct": best_val,
            "last_validation": {k: validated[-1][k] for k in
                                ("iteration", "val_improvement_pct", "val_cost_ratio")}
            if validated else {}, "config": cfg.to_dict()}
    if cfg.init_model:  # the chain of runs that led here, each card with its own command
        card["init_model_card"] = _init_model_card(started, cfg)
    return card


def _read_checkpoint(path: Path, world: World) -> dict:
    """The checkpoint of a run to resume (weights only: a checkpoint cannot run code); a run
    trained by another number of processes is refused, since its generators do not carry over."""
    from ..errors import InputError

    blob = torch_load_safe(path, "training checkpoint")
    saved = blob.get("world_size", 1) if isinstance(blob, dict) else 1
    if saved != world.size:
        raise InputError(f"{path}: this run was trained by {saved} process{'es' * (saved != 1)} "
                         f"(world size {saved}) and can only be resumed by as many "
                         f"(this one has {world.size}): "
                         + ("run it under torchrun with --nnodes x --nproc-per-node = "
                            f"{saved}" if saved > 1 else "run it without torchrun"))
    return blob


def restore_checkpoint(path: Path, blob: dict, model: RewritePolicy, optimizer, rng: np.random.Generator,
             rank: int = 0):
    """Load a checkpoint into the model, optimiser and this rank's generator; returns
    (iteration, wall seconds, best validation, global steps)."""
    from ..errors import InputError

    try:
        model.load_state_dict(blob["model"])
        optimizer.load_state_dict(blob["optimizer"])
        state = blob["rank_rngs"][rank] if "rank_rngs" in blob else blob["rng"]
        rng.bit_generator.state = json.loads(state) if isinstance(state, str) else state
        return (int(blob["iteration"]), float(blob["wall_s"]), blob["best_validation"],
                int(blob["global_steps"]))
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise InputError(f"{path}: not a checkpoint of this run ({exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


def save_checkpoint(path: Path, model, optimizer, rng: np.random.Generator, iteration: int,
                    wall: float, best_validation, global_steps: int,
                    extra: dict | None = None) -> None:
    """Write the one-process checkpoint :func:`restore_checkpoint` reads (the constructive,
    controller and DQN trainers'; ``global_steps`` counts their decisions), atomically.

    ``extra``: named state of the trainer's own beyond one model and its optimiser (the DQN's
    target network, replay buffer, torch generator, log rows), as tensors and plain data, since
    a checkpoint is loaded with weights only; :func:`open_run` hands it back on resume."""
    blob = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "rng": json.dumps(rng.bit_generator.state), "iteration": iteration,
            "wall_s": wall, "best_validation": best_validation, "global_steps": global_steps}
    if extra is not None:
        blob["extra"] = extra
    torch_save_atomic(blob, path)


def run_meta(config: dict, command: str | None, **extra) -> dict:
    """What a run's config.json records: its config, versions, commit, command and start."""
    return {**extra, "config": config, "version": __version__, "git_commit": git_commit(),
            "python": platform.python_version(), "torch": torch.__version__,
            "command": command or " ".join(sys.argv),
            "started": time.strftime("%Y-%m-%d %H:%M:%S")}


def open_run(run_dir: Path, resume: bool, meta: dict, model, optimizer,
             rng: np.random.Generator,
             extra: dict | None = None) -> tuple[int, float, float | None, int]:
    """(iteration, wall seconds, best validation, steps) of a resumed run, from its checkpoint;
    or, for a new run (never over another run's checkpoint), write ``meta`` as its config.json
    and start from zero. Used by the trainers that run in one process.

    ``extra`` (a trainer that saves some, :func:`save_checkpoint`): on resume, filled with the
    named state saved with the checkpoint; a checkpoint without any is refused."""
    checkpoint_path = Path(run_dir) / "checkpoint.pt"
    if resume:
        if not checkpoint_path.is_file():
            raise FileNotFoundError(f"{checkpoint_path}: nothing to resume")
        blob = torch_load_safe(checkpoint_path, "training checkpoint")
        counters = restore_checkpoint(checkpoint_path, blob, model, optimizer, rng)
        if extra is not None:
            saved = blob.get("extra")
            if not isinstance(saved, dict):
                from ..errors import InputError

                raise InputError(f"{checkpoint_path}: not a checkpoint of this run (the state "
                                 "of its trainer beyond the model is missing)")
            extra.update(saved)
        return counters
    if checkpoint_path.is_file():
        raise FileExistsError(f"{run_dir} already holds a run; use --resume or another --run-dir")
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    write_atomic(Path(run_dir) / "config.json", json.dumps(meta, indent=2) + "\n")
    return 0, 0.0, None, 0


# ---- the loop ----------------------------------------------------------------------------------
def train(cfg: TrainConfig, problem: RewriteProblem, run_dir, *, resume: bool = False,
          progress: bool | str = True, command: str | None = None) -> TrainSummary:
    """Train (or with ``resume`` continue) a run in ``run_dir``; ``progress``: ``bar``,
    ``lines`` (a record on stderr every 30 s), ``off``, or True/False for bar/off.

    Under ``torchrun`` (``WORLD_SIZE`` > 1) every process calls this with the same arguments:
    the rollouts and gradient steps are shared (:mod:`rewriter.learn.distributed`), rank 0
    validates and writes the run directory, and ``resume`` needs the same number of processes."""
    cfg = cfg.with_defaults(problem.training_defaults()).check()
    if not cfg.problem:  # the config names the problem its models are for
        cfg = replace(cfg, problem=problem.name)
    check_sizes(problem, cfg)
    world = join_world()
    try:
        if cfg.episodes < world.size:
            from ..errors import InputError

            raise InputError(f"--episodes {cfg.episodes}: fewer episodes than the {world.size} "
                             "training processes; give at least one episode per process")
        with limit_threads(cfg.threads):
            return _train(cfg, problem, run_dir, resume=resume, progress=progress,
                          command=command, world=world)
    finally:
        leave_world(world)


def check_sizes(problem: RewriteProblem, cfg: TrainConfig) -> None:
    """Draw one instance of every training and validation size before anything is written, so
    a size the problem cannot read is one clear error, not a failure mid-run."""
    from ..errors import InputError

    rng = np.random.default_rng(0)
    for option in ("sizes", "validation_sizes"):
        for size in dict.fromkeys(getattr(cfg, option)):
            try:
                problem.sample_instance(rng, size)
            except InputError as exc:
                raise InputError(f"--{option.replace('_', '-')}: {exc.reason}") from None
            except (ValueError, TypeError) as exc:
                raise InputError(f"--{option.replace('_', '-')}: {exc} (size {size!r})") from None


def check_same_parameters(model: RewritePolicy, world: World) -> None:
    """Raise RuntimeError unless every rank holds the same parameters (a digest of their bytes):
    data-parallel training keeps them equal, and a checkpoint is only rank 0's."""
    import hashlib

    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    digests = world.gather(digest.hexdigest())
    if len(set(digests)) > 1:
        raise RuntimeError("the training processes' parameters differ (digests "
                           + ", ".join(d[:12] for d in digests) + "); the run cannot go on")


def _open_run(cfg: TrainConfig, run_dir: Path, resume: bool, world: World):
    """Rank 0 checks the run directory (and reads the checkpoint to resume); every rank gets the
    same outcome: the checkpoint (None for a new run) or the same error."""
    outcome = None
    if world.is_main:
        checkpoint_path = run_dir / "checkpoint.pt"
        try:
            if resume:
                if not checkpoint_path.is_file():
                    raise FileNotFoundError(f"{checkpoint_path}: nothing to resume")
                outcome = _read_checkpoint(checkpoint_path, world)
            elif checkpoint_path.is_file():
                raise FileExistsError(f"{run_dir} already holds a run; use --resume or another "
                                      "--run-dir")
            else:
                run_dir.mkdir(parents=True, exist_ok=True)
        except Exception as exc:  # noqa: BLE001 - raised on every rank below
            outcome = exc
    outcome = world.broadcast(outcome)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _train(cfg: TrainConfig, problem: RewriteProblem, run_dir, *, resume: bool,
           progress: bool | str, command: str | None, world: World) -> TrainSummary:
    run_dir = Path(run_dir)
    checkpoint_path = run_dir / "checkpoint.pt"
    blob = _open_run(cfg, run_dir, resume, world)
    torch.manual_seed(cfg.seed)
    rng = world.generator(cfg.seed)
    state0 = problem.initial_state(problem.sample_instance(np.random.default_rng(cfg.seed),
                                                           cfg.sizes[0]), cfg.init_rules[0])
    model = RewritePolicy(ModelConfig(state0.node_features, state0.pair_features, cfg.hidden,
                                      cfg.mlp_hidden, cfg.reverse, cfg.formulation,
                                      encoder=cfg.encoder, hgat_machines=cfg.hgat_machines))
    if cfg.encoder == "hgat" and state0.hetero() is None:
        from ..errors import InputError
        raise InputError(f"--encoder hgat: {problem.name} states offer no operations-and-machines "
                         "view; use --encoder treelstm")
    init_card = None
    if cfg.init_model and not resume and world.is_main:  # on resume the checkpoint has them
        init_card = warm_start(model, cfg.init_model, cfg.problem)
    world.broadcast_parameters(model)  # every rank starts from rank 0's weights
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    start_iteration, wall, best_val, global_steps = 0, 0.0, None, 0
    if resume:
        start_iteration, wall, best_val, global_steps = restore_checkpoint(checkpoint_path, blob, model,
                                                                 optimizer, rng, world.rank)
    elif world.is_main:
        meta = {"config": cfg.to_dict(), "version": __version__, "git_commit": git_commit(),
                "python": platform.python_version(), "torch": torch.__version__,
                "command": command or " ".join(sys.argv),
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        meta["world_size"] = world.size  # the rollouts' generators, hence the run, depend on it
        if cfg.init_model:
            meta["init_model_card"] = init_card
        write_atomic(run_dir / "config.json", json.dumps(meta, indent=2) + "\n")
    rows = read_log(run_dir / "log.csv", start_iteration) if world.is_main else []
    val_instances = (problem.validation_instances(cfg.validation_sizes, cfg.validation_per_size)
                     if world.is_main else [])
    rollout_cfg = replace(cfg, episodes=world.share(cfg.episodes)) if world.size > 1 else cfg
    status = "completed"
    bar = Progress(cfg.iterations, "train", "it", initial=start_iteration,
                   mode=progress if world.is_main else "off")
    iteration = start_iteration
    while iteration < cfg.iterations:
        interrupt.check()  # a Ctrl-C that numba swallowed while compiling
        wall = world.broadcast(wall) if cfg.time_limit_minutes is not None else wall
        if cfg.time_limit_minutes is not None and wall >= cfg.time_limit_minutes * 60:
            status = "time_limit"
            break
        tic = time.perf_counter()
        p_c = max(cfg.pc_min, cfg.pc_start * cfg.pc_decay ** (global_steps // cfg.pc_every))
        episodes, improvement = collect(problem, model, rollout_cfg, rng, iteration, p_c)
        records = targets(episodes, cfg)
        losses = update(model, optimizer, records, cfg, rng, world)
        if world.size > 1:  # the row shows every rank's episodes
            n_records, gains, returns = world.sum([
                len(records), improvement * len(episodes),
                sum(sum(r for _, r in e) for e in episodes)])
            global_steps += int(n_records)
            improvement, mean_return = gains / cfg.episodes, returns / cfg.episodes
        else:
            global_steps += len(records)
            mean_return = float(np.mean([sum(r for _, r in e) for e in episodes]))
        iteration += 1
        row = {"iteration": iteration, "episodes": iteration * cfg.episodes, "steps": global_steps,
               "mean_return": round(mean_return, 5),
               "improvement_pct": round(improvement, 4), "p_c": round(p_c, 5),
               **{k: round(v, 6) for k, v in losses.items()},
               "val_improvement_pct": "", "val_cost_ratio": ""}
        is_best = False
        if world.is_main and (iteration % cfg.validate_every == 0 or iteration == cfg.iterations):
            val = validate(problem, model, val_instances, cfg)
            row.update({k: round(v, 4) for k, v in val.items()})
            if best_val is None or val["val_improvement_pct"] > best_val:
                best_val, is_best = val["val_improvement_pct"], True
        wall += time.perf_counter() - tic
        row["wall_s"] = round(wall, 2)
        rows.append(row)
        if is_best:  # with a card of its own: it may be the model worth shipping
            save_model(run_dir / "best.pt", model, cfg.problem, model_options(cfg),
                       _card(cfg, run_dir, command, iteration, wall, best_val, rows))
        if iteration % cfg.checkpoint_every == 0 or iteration == cfg.iterations:
            # the generator states as JSON text: their 128-bit integers are plain data that a
            # weights-only load accepts on every torch version
            rngs = world.gather(json.dumps(rng.bit_generator.state))
            if world.size > 1:
                check_same_parameters(model, world)
            if world.is_main:
                write_log(run_dir / "log.csv", rows)
                blob = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "rng": rngs[0], "iteration": iteration, "wall_s": wall,
                        "best_validation": best_val, "global_steps": global_steps}
                if world.size > 1:
                    blob.update(world_size=world.size, rank_rngs=rngs)
                torch_save_atomic(blob, checkpoint_path)
        bar.update(1, imp=f"{improvement:.2f}%", val=row["val_improvement_pct"] or "-")
    bar.close()
    if world.is_main:
        write_log(run_dir / "log.csv", rows)
        if rows:
            plot_curves(rows, run_dir / "curves.png")
        card = _card(cfg, run_dir, command, iteration, wall, best_val, rows)
        if world.size > 1:
            card["world_size"] = world.size
        save_model(run_dir / "model.pt", model, cfg.problem, model_options(cfg), card)
    return TrainSummary(run_dir, iteration, wall, best_val, status, world.size, world.comm_s,
                        world.syncs)
