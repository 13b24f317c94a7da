"""The replay buffer: the last ``capacity`` transitions, sampled uniformly.

A transition is (decision, action, reward, next decision, done, expert): the decisions carry their
own candidates, so transitions of instances of different sizes sit side by side. With n-step
returns the reward is the sum of n rewards and the next decision the one n steps later. A
demonstration (:mod:`.imitation`) also carries the teacher's actions at that decision.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields

import numpy as np
import torch

from .features import Decision

#: the array fields of a decision, packed field by field in a checkpoint
ARRAYS = tuple(f.name for f in fields(Decision) if f.name not in ("can_wait", "baseline"))


@dataclass
class Transition:
    state: Decision
    action: int                  # a pair index of ``state``, or ``state.n_pairs`` for the wait
    reward: float                # scaled (see :mod:`rewriter.learn.dqn.learn`)
    next_state: Decision | None  # None when the episode ended
    done: bool
    expert: np.ndarray | None = None  # a demonstration's teacher actions (pair indices, or the wait)


class NStep:
    """Turns an episode's steps into n-step transitions: each decision's reward is the discounted
    sum of the next ``n`` rewards and its next decision the one ``n`` steps later (fewer at the
    end of the episode, which is then ``done``)."""

    def __init__(self, n: int, gamma: float):
        self.n, self.gamma = int(n), float(gamma)
        self.pending: deque = deque()  # [decision, action, reward so far, expert, rewards added]

    def push(self, state: Decision, action: int, reward: float, expert,
             following: Decision | None) -> list[Transition]:
        """Add one step (``following``: the next decision, None when the episode ended); return
        the transitions complete now."""
        self.pending.append([state, action, 0.0, expert, 0])
        for item in self.pending:
            item[2] += self.gamma ** item[4] * reward
            item[4] += 1
        if following is None:
            out = [Transition(s, a, r, None, True, e) for s, a, r, e, _ in self.pending]
            self.pending.clear()
            return out
        if len(self.pending) == self.n:
            s, a, r, e, _ = self.pending.popleft()
            return [Transition(s, a, r, following, False, e)]
        return []


class ReplayBuffer:
    """A ring of transitions; the oldest is overwritten once it is full."""

    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self.items: list[Transition] = []
        self.next = 0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, transition: Transition) -> None:
        if len(self.items) < self.capacity:
            self.items.append(transition)
        else:
            self.items[self.next] = transition
        self.next = (self.next + 1) % self.capacity

    def sample(self, size: int, rng: np.random.Generator) -> list[Transition]:
        """``size`` transitions drawn uniformly with replacement."""
        return [self.items[i] for i in rng.integers(len(self.items), size=size)]

    # ---- checkpoints ---------------------------------------------------------------------------
    def state(self) -> dict:
        """The buffer as tensors (a checkpoint is loaded with weights only): every decision once,
        each array field of all decisions concatenated with their lengths, and the transitions as
        indices into the decisions (-1: no next decision). :meth:`restore` inverts it exactly."""
        index: dict[int, int] = {}
        decisions: list[Decision] = []

        def ref(d: Decision | None) -> int:
            if d is None:
                return -1
            if id(d) not in index:
                index[id(d)] = len(decisions)
                decisions.append(d)
            return index[id(d)]

        links = [(ref(t.state), ref(t.next_state)) for t in self.items]
        packed = {}
        for name in ARRAYS:
            arrays = [getattr(d, name) for d in decisions]
            packed[name] = torch.from_numpy(np.concatenate(arrays)) if arrays else torch.zeros(0)
            packed[name + "_lengths"] = torch.tensor([len(a) for a in arrays], dtype=torch.int64)
        return {"capacity": self.capacity, "next": self.next, "decisions": packed,
                "can_wait": torch.tensor([d.can_wait for d in decisions], dtype=torch.bool),
                "baseline": torch.tensor([d.baseline for d in decisions], dtype=torch.float64),
                "state": torch.tensor([a for a, _ in links], dtype=torch.int64),
                "next_state": torch.tensor([b for _, b in links], dtype=torch.int64),
                "action": torch.tensor([t.action for t in self.items], dtype=torch.int64),
                "reward": torch.tensor([t.reward for t in self.items], dtype=torch.float64),
                "done": torch.tensor([t.done for t in self.items], dtype=torch.bool),
                "expert": torch.from_numpy(np.concatenate(
                    [t.expert for t in self.items if t.expert is not None] or [np.zeros(0, np.int64)])),
                "expert_lengths": torch.tensor([-1 if t.expert is None else len(t.expert)
                                                for t in self.items], dtype=torch.int64)}

    @classmethod
    def restore(cls, state: dict) -> "ReplayBuffer":
        """The buffer :meth:`state` describes."""
        buffer = cls(int(state["capacity"]))
        buffer.next = int(state["next"])
        packed = state["decisions"]
        columns = {}
        for name in ARRAYS:
            lengths = packed[name + "_lengths"].numpy()
            columns[name] = np.split(packed[name].numpy(), np.cumsum(lengths)[:-1]) \
                if len(lengths) else []
        decisions = [Decision(**{name: columns[name][i].copy() for name in ARRAYS},
                              can_wait=bool(state["can_wait"][i]),
                              baseline=float(state["baseline"][i]))
                     for i in range(len(state["can_wait"]))]
        lengths = state["expert_lengths"].tolist() if "expert_lengths" in state \
            else [-1] * len(state["action"])
        flat, at = state["expert"].numpy() if "expert" in state else np.zeros(0, np.int64), 0
        for s, a, r, n, done, size in zip(state["state"].tolist(), state["action"].tolist(),
                                          state["reward"].tolist(), state["next_state"].tolist(),
                                          state["done"].tolist(), lengths):
            expert = None if size < 0 else flat[at:at + size].copy()
            at += max(size, 0)
            buffer.items.append(Transition(decisions[s], a, r, None if n < 0 else decisions[n],
                                           done, expert))
        return buffer
