"""A Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt at the next bytecode, wherever that is. When it is
inside numba compiling a kernel (on a first run, before the cache holds it), numba's compiler
or an LLVM callback swallows the exception (the callback's only printing it as "Exception
ignored ...") and the run goes on as if no key had been pressed. So, while :func:`recording`
is active, the handler also notes the Ctrl-C, the long loops (searches, compare cells, training
iterations) call :func:`check` at their boundaries, which raises the KeyboardInterrupt again if
it was swallowed, and the callback's printout is left out.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager

_pending = False
_stop = None  # a flag shared with the process that started this one (portfolio)


def _note_and_raise(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived that nobody has dealt with yet, or if the
    process that started this one asked it to stop (:func:`watch`)."""
    global _pending
    if _pending or (_stop is not None and _stop.is_set()):
        _pending = False
        raise KeyboardInterrupt


def watch(flag) -> None:
    """From now on, :func:`check` also stops when ``flag.is_set()`` (a ``multiprocessing.Event``
    the parent sets on its Ctrl-C, in a worker that ignores SIGINT itself)."""
    global _stop
    _stop = flag


def handled() -> None:
    """The KeyboardInterrupt of the last Ctrl-C was caught and acted on: forget it."""
    global _pending
    _pending = False


@contextmanager
def recording():
    """Within, a Ctrl-C is noted as well as raised. It only takes over from Python's default
    handler in the main thread (a handler someone else installed is theirs), and puts the
    default back on leaving."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    previous_hook = sys.unraisablehook

    def hook(unraisable):
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):  # noted: check() raises it
            previous_hook(unraisable)

    signal.signal(signal.SIGINT, _note_and_raise)
    sys.unraisablehook = hook
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = previous_hook
