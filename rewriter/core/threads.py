"""How many threads torch and numpy's BLAS may use, set together for a block of work."""

from __future__ import annotations

from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits


@contextmanager
def limit_threads(threads: int = 1):
    """Run a block with at most ``threads`` torch threads and BLAS threads, then restore both.

    One step's tensors are tiny; with more threads torch spends its time waking them, and on a
    busy 2-core machine a single linear layer then takes milliseconds. The training encoder's
    level-wise products run in numpy, whose BLAS would otherwise take every core too."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)
