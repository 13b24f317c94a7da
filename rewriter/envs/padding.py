"""Padding an environment's spaces to a fixed maximum size, so one policy plays every size up to it.

Made with ``max_jobs`` / ``max_machines``, an environment's observation and action spaces have
the maximum's shapes whatever the instance's size: the instance fills the first rows (jobs
0..N-1, machines 0..M-1), the rest is padding (zeros, or the observation's own "nothing here"
value), and every action naming a padded job or machine is masked out. Without them (the default)
the spaces are the instance's own size and nothing is padded.
"""

from __future__ import annotations

import numpy as np


def padded_size(env_name: str, num_jobs: int, num_machines: int, max_jobs: int | None,
                max_machines: int | None) -> tuple[int, int]:
    """(jobs, machines) of the spaces: the maximum where given, else the instance's size. A size
    above its maximum raises ValueError."""
    sizes = []
    for what, size, maximum in (("jobs", num_jobs, max_jobs), ("machines", num_machines,
                                                                  max_machines)):
        if maximum is None:
            sizes.append(size)
            continue
        if isinstance(maximum, bool) or not isinstance(maximum, (int, np.integer)) or maximum < 1:
            raise ValueError(f"{env_name}: max_{what} is a positive integer or None, got "
                             f"{maximum!r}")
        if size > maximum:
            raise ValueError(f"{env_name}: the instance has {size} {what}, more than "
                             f"max_{what}={maximum}; make the environment with max_{what} >= "
                             f"{size}")
        sizes.append(int(maximum))
    return sizes[0], sizes[1]


def pad(array: np.ndarray, shape: tuple[int, ...], fill=0) -> np.ndarray:
    """``array`` in the leading corner of an array of ``shape`` filled with ``fill`` (``array``
    itself when it already has that shape)."""
    if array.shape == tuple(shape):
        return array
    out = np.full(shape, fill, array.dtype)
    out[tuple(slice(0, s) for s in array.shape)] = array
    return out
