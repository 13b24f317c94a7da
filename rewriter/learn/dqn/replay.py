"""The replay buffer: the last ``capacity`` transitions, sampled uniformly.

A transition is (decision, action, reward, next decision, done): the decisions carry their own
candidates, so transitions of instances of different sizes sit side by side.
"""

from __future__ import annotations

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
                "done": torch.tensor([t.done for t in self.items], dtype=torch.bool)}

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
        for s, a, r, n, done in zip(state["state"].tolist(), state["action"].tolist(),
                                    state["reward"].tolist(), state["next_state"].tolist(),
                                    state["done"].tolist()):
            buffer.items.append(Transition(decisions[s], a, r, None if n < 0 else decisions[n],
                                           done))
        return buffer
