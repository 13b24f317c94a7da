"""The one way every environment refuses what it cannot play (docs/environments.md, "Bad actions
and steps after the end").

- ``step`` before ``reset``, or after a step that returned ``terminated`` or ``truncated``,
  raises :class:`ResetNeeded` until the next ``reset``: an episode that has ended never applies
  another action or pays another reward.
- An action that is not an integer of the action space raises ``ValueError`` naming the
  environment, the action and the valid range, and changes nothing. An integer is a Python
  ``int``, a numpy integer or a 0-d integer array (an array of integers of the right shape for a
  ``MultiDiscrete`` space); a bool, float or string is not, though Python would convert it
  (``int(1.5) == 1``, ``int("0") == 0``, ``True == 1``): such an action is a bug in the agent.
- An action inside the space that the mask forbids is part of the game, not a bug in the caller:
  it ends the episode as ``"illegal_action"`` (each environment's own failure score), which the
  environments do themselves.
- ``reset(options=...)`` takes None or a dict whose keys the environment knows.
"""

from __future__ import annotations

from collections.abc import Mapping

import gymnasium
import numpy as np


class ResetNeeded(gymnasium.error.ResetNeeded, RuntimeError):
    """``step`` with no episode running: before the first ``reset`` or after the episode ended.
    Both gymnasium's ``ResetNeeded`` (what ``gymnasium.make``'s order check raises before the
    first reset) and a RuntimeError."""


def env_name(env) -> str:
    """The registered id of ``env``'s class (``rewriter/Rewrite-v0``), else the class name."""
    from . import ENV_IDS

    path = f"{type(env).__module__}:{type(env).__name__}"
    return next((env_id for env_id, entry in ENV_IDS.items() if entry == path), type(env).__name__)


def check_running(env, started: bool, terminated: bool, truncated: bool = False) -> None:
    """Refuse a step when no episode runs: before the first reset (``started`` False) or after
    a step that returned ``terminated`` or ``truncated``."""
    if not started:
        raise ResetNeeded(f"{env_name(env)}: call reset() before step()")
    if terminated or truncated:
        how = "terminated" if terminated else "truncated"
        raise ResetNeeded(f"{env_name(env)}: the episode has ended ({how}); call reset() "
                          f"before the next step()")


def discrete_action(env, action, n: int) -> int:
    """``action`` as an int of ``Discrete(n)``, or a ValueError."""
    value = action[()] if isinstance(action, np.ndarray) and action.shape == () else action
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{env_name(env)}: an action is one integer in the range 0..{n - 1}, "
                         f"got {_short(action)} ({type(action).__name__})")
    if not 0 <= value < n:
        raise ValueError(f"{env_name(env)}: action {value} is outside the action space, the "
                         f"range 0..{n - 1}")
    return int(value)


def multi_discrete_action(env, action, nvec: np.ndarray) -> np.ndarray:
    """``action`` as an int64 array of ``MultiDiscrete(nvec)`` (1-D), or a ValueError."""
    expected = (f"an action is {len(nvec)} integers, entry i in the range 0..nvec[i] - 1 "
                f"(nvec = {nvec.tolist()})")
    try:
        array = np.asarray(action)
    except (TypeError, ValueError, OverflowError):  # ragged lists, objects numpy refuses
        array = np.asarray(None)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer) \
            or array.shape != nvec.shape:
        raise ValueError(f"{env_name(env)}: {expected}; got {_short(action)} "
                         f"({type(action).__name__})")
    outside = np.flatnonzero((array < 0) | (array >= nvec))
    if outside.size:
        i = int(outside[0])
        raise ValueError(f"{env_name(env)}: action entry {i} is {array[i]}, outside the action "
                         f"space: {expected}")
    return array.astype(np.int64)


def reset_options(env, options, known: tuple[str, ...] = ()) -> dict:
    """``options`` as a dict (empty for None), or a TypeError (not a mapping) or ValueError (a
    key the environment does not know: a misspelt option would otherwise be ignored)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"{env_name(env)}: reset(options=...) takes None or a dict, got "
                        f"{_short(options)} ({type(options).__name__})")
    unknown = [key for key in options if key not in known]
    if unknown:
        takes = ", ".join(map(repr, known)) if known else "no options"
        raise ValueError(f"{env_name(env)}: unknown reset options {', '.join(map(repr, unknown))};"
                         f" it takes {takes}")
    return dict(options)


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
