"""``rewriter/MrtDispatch-v0``: build an online MRT schedule one job at a time (DeepRM's MDP).

At each decision the agent starts one of the first ``window`` waiting jobs (arrived, not
started; by arrival, ties by job number) that fits the free capacity now, or *advances*: time
jumps to the next event (an arrival or the end of a running job). After a start the agent
decides again at the same time. While no visible job fits, time advances by itself, so every
decision has a job to start. Advancing is legal while an event is to come (with nothing running
and nothing left to arrive, waiting would change nothing). An illegal action ends the episode,
nothing applied. The episode ends when every job has ended.

Reward (DeepRM's for the average slowdown): each jump of time earns ``-sum(1 / T_j)`` over the
jobs in the system (waiting or running) per unit of time passed, so the return of an episode is
minus its total slowdown, ``-n x`` the average slowdown. An illegal action ends the episode with
the return of finishing the rest one job at a time (:meth:`MrtCluster.serial_total_slowdown`).

Observation (one row per visible slot, ``job_features(D)`` names the columns; lengths and times
over :data:`TIME_SCALE`, the longest job of the paper's generator; every value clipped to
:data:`CLIP`):

``jobs`` (W, 4 + D)
    present (0 for an empty slot), fits (it can start now), length, waiting time, demand per
    resource / capacity.
``cluster`` (D + 6,)
    free capacity per resource / capacity; running jobs / the smallest capacity; the least,
    mean and largest remaining time of the running jobs; the backlog (waiting jobs beyond the
    window) / W and its mean length.
``action_mask`` (W + 1,)
    the slots whose job fits, then advance.

The sizes depend on D and W, not on the number of jobs.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..errors import InputError
from ..mrt.generate import LONG_LENGTH, random_sequence
from ..mrt.instance import DEFAULT_WINDOW, MrtInstance
from .checks import check_running, discrete_action, reset_options
from .mrt_cluster import MrtCluster

TIME_SCALE = float(LONG_LENGTH[1])
CLIP = 10.0
CLUSTER_SUMMARY = ("running", "remaining_min", "remaining_mean", "remaining_max", "backlog",
                   "backlog_length")


def job_features(resources: int) -> tuple[str, ...]:
    return ("present", "fits", "length", "waiting") + tuple(f"demand_{r}" for r in range(resources))


def cluster_features(resources: int) -> tuple[str, ...]:
    return tuple(f"free_{r}" for r in range(resources)) + CLUSTER_SUMMARY


def _instance(instance) -> MrtInstance | None:
    if isinstance(instance, str):
        from ..mrt.bundled import load_instance

        instance = load_instance(instance)
    if instance is not None and not isinstance(instance, MrtInstance):
        raise InputError(f"expected an MRT instance name, path or MrtInstance, got "
                         f"{type(instance).__name__}")
    return instance


class MrtDispatchEnv(gym.Env):
    """One job (or advance) per decision, ``Discrete(window + 1)``; see the module docstring.

    ``instance``: a name (``mrt_d5_test_00000``), a path, an :class:`MrtInstance`, or None for a
    new random sequence of the paper's generator per episode (``resources`` D required, named
    ``mrt_dD_rand_sSEED``: ``random_sequence(numpy.random.default_rng(SEED), D)``).
    ``reset(options={"instance": ...})`` plays another instance of the same D for one episode.
    """

    metadata = {"render_modes": []}

    def __init__(self, instance=None, resources: int | None = None, window: int = DEFAULT_WINDOW):
        self.fixed = _instance(instance)
        if self.fixed is None and resources is None:
            raise InputError("give an instance (a name, a path or an MrtInstance) or resources=D "
                             "for random sequences")
        d = self.fixed.resources if self.fixed is not None else int(resources)
        if resources is not None and resources != d:
            raise InputError(f"{self.fixed.name} has {d} resource types, not {resources}")
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1 \
                or d < 1:
            raise InputError(f"window and resources must be integers >= 1, got {window}, {d}")
        self.resources, self.window = d, int(window)
        self.observation_space = spaces.Dict({
            "jobs": spaces.Box(0.0, CLIP, (self.window, len(job_features(d))), np.float32),
            "cluster": spaces.Box(0.0, CLIP, (len(cluster_features(d)),), np.float32),
            "action_mask": spaces.Box(0, 1, (self.window + 1,), np.bool_),
        })
        self.action_space = spaces.Discrete(self.window + 1)
        self.cluster: MrtCluster | None = None
        self._done = False

    # ---- gymnasium interface -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        options = reset_options(self, options, known=("instance",))
        super().reset(seed=seed)
        instance = _instance(options.get("instance")) or self.fixed or self._random()
        if instance.resources != self.resources:
            raise InputError(f"{instance.name} has {instance.resources} resource types; this "
                             f"environment has {self.resources}")
        self.cluster = MrtCluster(instance)
        self._done = False
        self._slowdown = 0.0
        # the first arrival meets an empty cluster, so this accrues nothing
        self._slowdown += self._advance_while_nothing_fits()
        self._update_mask()
        return self._observation(), self._info()

    def step(self, action):
        """Start the job in slot ``action`` now, or advance (``action == window``). An action
        outside the action space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.cluster is not None, self._done)
        action = discrete_action(self, action, self.window + 1)
        if not self._mask[action]:
            return self._fail(f"action {action} is not allowed now")
        cluster = self.cluster
        accrued = 0.0
        if action < self.window:
            cluster.start(cluster.waiting[action])
        else:
            accrued += cluster.advance()
        accrued += self._advance_while_nothing_fits()
        self._slowdown += accrued
        self._update_mask()
        terminated = cluster.finished()
        info = self._info()
        if terminated:
            self._done = True
            info.update(termination="done", done=True, schedule=cluster.starts.copy(),
                        average_slowdown=self._slowdown / cluster.instance.n_jobs)
        return self._observation(), -accrued, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """(W + 1,) bool: the visible jobs that fit now, then advance."""
        return self._mask.copy()

    # ---- time and mask -------------------------------------------------------------------------
    def _visible(self) -> list[int]:
        return self.cluster.waiting[:self.window]

    def _advance_while_nothing_fits(self) -> float:
        cluster = self.cluster
        accrued = 0.0
        while not cluster.finished() and not any(cluster.fits(j) for j in self._visible()):
            accrued += cluster.advance()
        return accrued

    def _update_mask(self) -> None:
        mask = np.zeros(self.window + 1, np.bool_)
        visible = self._visible()
        mask[:len(visible)] = [self.cluster.fits(j) for j in visible]
        mask[self.window] = self.cluster.next_event() is not None
        self._mask = mask

    # ---- observation ---------------------------------------------------------------------------
    def _observation(self) -> dict:
        cluster, inst = self.cluster, self.cluster.instance
        visible = self._visible()
        jobs = np.zeros((self.window, len(job_features(self.resources))), np.float64)
        k = len(visible)
        if k:
            jobs[:k, 0] = 1.0
            jobs[:k, 1] = self._mask[:k]
            jobs[:k, 2] = inst.length[visible] / TIME_SCALE
            jobs[:k, 3] = (cluster.time - inst.arrival[visible]) / TIME_SCALE
            jobs[:k, 4:] = inst.demand[visible] / inst.capacity
        remaining = cluster.remaining() / TIME_SCALE
        backlog = cluster.waiting[self.window:]
        summary = [len(cluster.running) / inst.capacity.min(),
                   *(f(remaining) if len(remaining) else 0.0 for f in (np.min, np.mean, np.max)),
                   len(backlog) / self.window,
                   inst.length[backlog].mean() / TIME_SCALE if backlog else 0.0]
        state = np.concatenate([cluster.free / inst.capacity, summary])
        return {"jobs": np.clip(jobs, 0.0, CLIP).astype(np.float32),
                "cluster": np.clip(state, 0.0, CLIP).astype(np.float32),
                "action_mask": self.action_masks()}

    def _info(self) -> dict:
        return {"time": self.cluster.time, "action_mask": self.action_masks(),
                "instance": self.cluster.instance.name}

    def _random(self) -> MrtInstance:
        # one integer from the environment's generator names the sequence, so it can be rebuilt
        seed = int(self.np_random.integers(2**31))
        return random_sequence(np.random.default_rng(seed), self.resources,
                               name=f"mrt_d{self.resources}_rand_s{seed}")

    def _fail(self, detail: str):
        """End the episode on an illegal action, scored as finishing the rest one at a time."""
        self._done = True
        reward = -(self.cluster.serial_total_slowdown() - self._slowdown)
        info = self._info()
        info.update(termination="illegal_action", illegal_action=True, detail=detail,
                    schedule=self.cluster.starts.copy())
        return self._observation(), reward, True, False, info
