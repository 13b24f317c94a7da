"""Controllers: who takes the decision between two slices of a controlled tabu search.

- ``hand``: today's rule in this framework: continue, and restart from the best (perturbed)
  once ``stall`` moves have passed without a new best or restart (checked at slice ends, so a
  restart comes up to one slice later than inside the kernel);
- ``random``: uniform over the actions (the ablation the learned policy must beat);
- ``learned``: a trained :class:`~rewriter.learn.control.policy.ControlPolicy`, sampling its actions.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import InputError
from ...jssp.schedule import JobShopSolution
from .search import ACTIONS, CONTINUE, RESTART_BEST, ControlledSearch

CONTROLLERS = ("hand", "random", "learned")


class Hand:
    def act(self, obs: np.ndarray, search) -> int:
        return RESTART_BEST if search.quiet_moves >= search.stall_rule else CONTINUE


class Uniform:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray, search) -> int:
        return int(self.rng.integers(len(ACTIONS)))


class Learned:
    """Samples the policy's action with ``rng``; with an ``episode``
    (:class:`rewriter.learn.construct.rollout.Episode`) every decision is recorded for PPO.

    Without an episode the network runs in NumPy (:func:`numpy_forward`): a decision then costs
    about 64 microseconds instead of about 260 with torch's forward pass, and a search makes
    hundreds of decisions per second."""

    def __init__(self, policy, rng: np.random.Generator, episode=None):
        self.policy, self.rng, self.episode = policy, rng, episode
        self.mask = np.ones(len(ACTIONS), np.bool_)  # every action is always legal
        self.weights = numpy_weights(policy)

    def act(self, obs: np.ndarray, search) -> int:
        if self.episode is None:
            log_probs, _ = numpy_forward(self.weights, obs)
            return self._sample(np.exp(log_probs.astype(np.float64)))
        with torch.no_grad():
            log_probs, value = self.policy(torch.from_numpy(obs)[None], None,
                                           torch.from_numpy(self.mask)[None])
        action = self._sample(log_probs[0].exp().double().numpy())
        e = self.episode
        e.jobs.append(obs)
        e.valid.append(True)
        e.mask.append(self.mask)
        e.actions.append(action)
        e.log_probs.append(float(log_probs[0, action]))
        e.values.append(float(value[0]))
        return action

    def _sample(self, probs: np.ndarray) -> int:
        return int(self.rng.choice(len(probs), p=probs / probs.sum()))


def numpy_weights(policy) -> list[np.ndarray]:
    """The controller network's weights and biases as float32 arrays, layer by layer (the two
    hidden layers, then the actor and the critic)."""
    layers = [policy.body[0], policy.body[2], policy.actor, policy.critic]
    return [t.detach().numpy().astype(np.float32, copy=True)
            for layer in layers for t in (layer.weight, layer.bias)]


def numpy_forward(weights: list[np.ndarray], obs: np.ndarray) -> tuple[np.ndarray, float]:
    """:meth:`ControlPolicy.forward` for one observation with every action legal:
    (log-probabilities, value)."""
    w1, b1, w2, b2, wa, ba, wc, bc = weights
    h = np.tanh(w2 @ np.tanh(w1 @ obs + b1) + b2)
    logits = wa @ h + ba
    top = logits.max()
    log_probs = logits - top - np.log(np.exp(logits - top).sum())
    return log_probs, float((wc @ h + bc)[0])


def make_controller(name: str, seed: int = 0, model: str | None = None):
    """The controller ``name`` (one of :data:`CONTROLLERS`); ``learned`` reads ``model``."""
    if name not in CONTROLLERS:
        raise InputError(f"unknown controller {name!r}; expected one of: {', '.join(CONTROLLERS)}")
    if name == "hand":
        return Hand()
    if name == "random":
        return Uniform(seed)
    from .policy import load_control_model, shipped_control_path

    policy, _ = load_control_model(shipped_control_path() if model in (None, "default") else model)
    return Learned(policy, np.random.default_rng(seed))


def controlled_search(sol: JobShopSolution, controller: str, model: str | None, moves: str,
                      tabu, seed: int,
                      horizon: int | None) -> ControlledSearch:
    """The search ``rewriter solve --policy controlled`` runs: the controller by name."""
    return ControlledSearch(sol, make_controller(controller, seed, model), moves=moves,
                            tabu=tabu, seed=seed, horizon=horizon)


def solve_controlled(instance, *, init: str = "mwkr", init_mode: str = "active",
                     steps: int | None, time_limit: float | None = None,
                     moves: str | None = None, seed: int | None = 0, tabu=None,
                     progress: bool = False, start: JobShopSolution | None = None,
                     tie_break: str | None = None, searches: int = 1, model: str | None = None,
                     samples: int = 1, decoding: str | None = None,
                     controller: str | None = None, started: float | None = None,
                     window: int | None = None):
    """``--policy controlled``: tabu search whose restarts, perturbations and tenure are decided
    between slices of moves by ``controller`` (``learned``, the default, with ``model`` or the
    shipped one; ``hand`` or ``random``; docs/control.md); ``steps`` counts its tabu moves. The
    job shop's own :func:`~rewriter.jssp.solve.solve` otherwise: the same start, checks, search
    loop, result and searches side by side. Where tabu search works in windows (``window``, by
    default on instances of more than 200,000 operations: :func:`~rewriter.jssp.solve.window_size`)
    it is that search: the controller was trained on whole schedules of up to 2,000 operations,
    and its restarts would cost a pass over the whole schedule each."""
    import time

    from dataclasses import replace

    from ...jssp.solve import (check_search_options, search_result, side_by_side, solve,
                               start_solution, tabu_settings, window_size)
    from ...seeding import check_seed

    check_search_options("controlled", moves=moves, samples=samples, decoding=decoding,
                         steps=steps, time_limit=time_limit, budgeted=True)
    t0 = time.perf_counter() if started is None else started
    seed_value = 0 if seed is None else check_seed(seed)  # 0 <= seed < 2**63
    if searches != 1:
        call = dict(init=init, init_mode=init_mode, steps=steps, moves=moves, tabu=tabu,
                    start=start, model=model, tie_break=tie_break, controller=controller,
                    window=window)
        return side_by_side(solve_controlled, instance, call, searches, seed_value, time_limit,
                            progress, t0)
    if window_size(instance, "tabu", moves, window):
        result = solve(instance, init=init, init_mode=init_mode, policy="tabu", steps=steps,
                       time_limit=time_limit, moves=moves, seed=seed, tabu=tabu,
                       progress=progress, start=start, tie_break=tie_break, started=t0,
                       window=window)
        return replace(result, method="controlled", info={**result.info, "controller": "none"})
    sol = start_solution(instance, init, init_mode, seed, start)
    controller = controller or "learned"
    search = controlled_search(sol, controller, model, moves or "n5",
                               tabu_settings(tabu, tie_break), seed_value, steps)
    return search_result(instance, search, "controlled", init, sol.makespan, steps, time_limit,
                         seed, progress, t0, {"controller": controller})
