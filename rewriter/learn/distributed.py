"""Data-parallel training over ``torch.distributed``: who this process is, and the collectives.

``torchrun --nproc-per-node N -m rewriter train ...`` starts N processes with ``WORLD_SIZE`` and
``RANK`` (and ``MASTER_ADDR``/``MASTER_PORT``) in their environment; :func:`join_world` reads them
and joins the process group (gloo: CPU tensors; the policy trains on the CPU). Without them it
returns the one-process world, in which every method here is the identity and nothing is sent,
so a single-process run is exactly what it was before this module existed.

How a run is split (rewriter/learn/train.py): each rank rolls out its share of the episodes with
its own generator seeded from (seed, rank); the advantages are normalised with the global mean
and spread; every gradient step takes a slice of each rank's rollout (the same number of steps on
every rank), and the gradients, each scaled by its slice's share of the global minibatch, are
summed over the ranks before the step, so the parameters stay identical everywhere.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class World:
    """This process's rank among ``size`` training processes, and the time spent in
    gradient all-reduces (``comm_s`` over ``syncs`` calls)."""

    rank: int = 0
    size: int = 1
    joined: bool = False  # this module initialised the process group (and destroys it)
    comm_s: float = 0.0
    syncs: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes the run directory and validates."""
        return self.rank == 0

    def share(self, total: int) -> int:
        """This rank's part of ``total`` items split as evenly as possible (lower ranks get the
        remainder)."""
        return total // self.size + (self.rank < total % self.size)

    def generator(self, seed: int) -> np.random.Generator:
        """The rollout generator: ``default_rng(seed)`` alone, else seeded from (seed, rank)."""
        if self.size == 1:
            return np.random.default_rng(seed)
        return np.random.default_rng([seed, self.rank])

    def sum(self, values) -> list[float]:
        """Element-wise sums of ``values`` over the ranks (float64)."""
        if self.size == 1:
            return [float(v) for v in values]
        tensor = torch.tensor([float(v) for v in values], dtype=torch.float64)
        torch.distributed.all_reduce(tensor)
        return tensor.tolist()

    def gather(self, obj) -> list:
        """Every rank's ``obj``, in rank order, on every rank."""
        if self.size == 1:
            return [obj]
        out = [None] * self.size
        torch.distributed.all_gather_object(out, obj)
        return out

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        if self.size == 1:
            return obj
        box = [obj]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def broadcast_parameters(self, model: torch.nn.Module) -> None:
        """Copy rank 0's parameters and buffers into every rank's ``model``."""
        if self.size == 1:
            return
        for tensor in model.state_dict().values():
            torch.distributed.broadcast(tensor, src=0)

    def sum_gradients(self, parameters) -> None:
        """Replace each gradient by its sum over the ranks (one flat all-reduce); a parameter
        without a gradient takes part with zeros, so every rank sends the same shapes."""
        if self.size == 1:
            return
        parameters = list(parameters)
        for p in parameters:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        flat = torch.cat([p.grad.reshape(-1) for p in parameters])
        tic = time.perf_counter()
        torch.distributed.all_reduce(flat)
        self.comm_s += time.perf_counter() - tic
        self.syncs += 1
        offset = 0
        for p in parameters:
            n = p.numel()
            p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
            offset += n


def minibatch_slices(counts: list[int], minibatch: int) -> int:
    """Gradient steps per pass over a rollout of ``counts`` records per rank: the global
    record count in minibatches of ``minibatch`` (each rank takes its slice of every step)."""
    return max(1, math.ceil(sum(counts) / minibatch))


def join_world() -> World:
    """The world this process belongs to: from ``WORLD_SIZE`` and ``RANK`` (set by torchrun),
    joining the gloo process group if nobody has; the one-process world without them."""
    size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if size <= 1:
        return World()
    rank = int(os.environ["RANK"])
    joined = False
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("gloo")
        joined = True
    return World(rank=rank, size=size, joined=joined)


def leave_world(world: World) -> None:
    """Leave the process group if :func:`join_world` joined it."""
    if world.joined and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
        world.joined = False


def world_rank() -> int:
    """This process's rank from the environment (0 outside torchrun), without joining."""
    return int(os.environ.get("RANK", "0") or 0) if int(os.environ.get("WORLD_SIZE", "1") or 1) > 1 else 0
