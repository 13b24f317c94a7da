"""rewriter: improve schedules by learned local rewriting.

The API in three names::

    from rewriter import load_instance, solve
    result = solve(load_instance("ta41"), init="mwkr", policy="tabu", steps=200, seed=0)
    print(result.makespan, result.gap_percent)

Names are loaded on first use, so ``import rewriter.core`` (or ``rewriter --help``) loads no
problem, no numba kernel and no torch. A problem's own public names (its instance and solution
types, ...) are importable from here too: the registry says where they live.
"""

from importlib import import_module

from .errors import InputError
from .numba_cache import configure as _configure_numba_cache
from .version import __version__

_configure_numba_cache()  # before any kernel module imports numba: see rewriter/numba_cache.py

_API = {"load_instance": ".api", "solve": ".api", "problems": ".api", "plot_gantt": ".api",
        "Result": ".core.result", "read_results": ".compare.frames", "pivot": ".compare.frames"}

__all__ = ["InputError", "__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None and not name.startswith("__"):
        from .registry import exported

        module = exported(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
