"""Seeds: which values are accepted, and how the numba kernels' generator is seeded from them.

A seed is an integer ``0 <= seed < 2**63`` (:data:`MAX_SEED`); anything else is an
:class:`~rewriter.errors.InputError`. The numba kernels (tabu search, random walk, the ``random``
dispatching rule) draw from numba's own generator, which takes a 32-bit seed:

* seeds below ``2**32`` seed it with their own value, as they always have, so the same seed gives
  the same schedules as before;
* larger seeds are first mixed by ``numpy.random.SeedSequence(seed)`` into 32 bits, instead of
  wrapping modulo ``2**32`` (where ``2**32`` would have repeated seed 0, ``2**32 + 1`` seed 1 ...).

With 2**63 seeds and 2**32 generator states some large seeds necessarily share a generator state
with another seed; none does so by plain wrap-around. The PyTorch/NumPy generators of the learned
search take the full seed.
"""

from __future__ import annotations

import operator

import numpy as np

from .errors import InputError

MAX_SEED = 2**63  # seeds are 0 <= seed < MAX_SEED
_KERNEL_SEEDS = 2**32  # numba's np.random.seed takes a uint32


def check_seed(seed, what: str = "seed") -> int:
    """``seed`` as an int, or an InputError unless it is an integer in ``0 .. 2**63 - 1``."""
    try:
        if isinstance(seed, bool):
            raise TypeError
        value = operator.index(seed)
    except TypeError:
        raise InputError(f"{what} must be an integer in 0..2**63-1, got {seed!r}") from None
    if not 0 <= value < MAX_SEED:
        raise InputError(f"{what} must be an integer in 0..2**63-1 (0..{MAX_SEED - 1}), got {value}")
    return value


def kernel_seed(seed) -> int:
    """The 32-bit seed of numba's generator for ``seed``: itself below 2**32, else a hash of it."""
    value = check_seed(seed)
    if value < _KERNEL_SEEDS:
        return value
    return int(np.random.SeedSequence(value).generate_state(1, np.uint32)[0])
