"""The replay buffer: the last ``capacity`` transitions, sampled uniformly.

A transition is (decision, action, reward, next decision, done): the decisions carry their own
candidates, so transitions of instances of different sizes sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import Decision


@dataclass
class Transition:
    state: Decision
    action: int                  # a pair index of ``state``, or ``state.n_pairs`` for the wait
    reward: float                # scaled (see :mod:`rewriter.fjsp.dqn.learn`)
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
