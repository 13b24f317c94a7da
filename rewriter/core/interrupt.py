"""A Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt at the next bytecode, wherever that is. When it is
inside numba compiling a kernel (on a first run, before the cache holds it), numba's compiler
or an LLVM callback swallows the exception (the callback's only printing it as "Exception
ignored ...") and the run goes on as if no key had been pressed. So, while :func:`recording`
is active, the handler also notes the Ctrl-C, the long loops (searches, compare cells, training
iterations) call :func:`check` at their boundaries, which raises the KeyboardInterrupt again if
it was swallowed, and the callback's printout is left out.

A KeyboardInterrupt raised inside llvmlite's own Python code can leave one of its objects half
built, and that object's ``__del__`` prints an "Exception ignored ... AttributeError" traceback
when it is collected, at exit at the latest. So a Ctrl-C that lands while llvmlite is on the
stack is only noted, and a timer asks again every few milliseconds until it lands outside.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
from contextlib import contextmanager

_pending = False
_deferred = False  # a Ctrl-C noted inside llvmlite, not yet raised
_asked = False  # the timer delivered the deferred Ctrl-C again
_stop = None  # a flag shared with the process that started this one (portfolio)
_RETRY_S = 0.005
_LLVMLITE = f"{os.sep}llvmlite{os.sep}"


def _inside_llvmlite(frame) -> bool:
    while frame is not None:
        if _LLVMLITE in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _ask_again() -> None:
    """From the timer's thread: deliver the deferred Ctrl-C to the main thread's handler again,
    unless it was dealt with meanwhile or the handler is no longer ours."""
    global _asked
    if _deferred and signal.getsignal(signal.SIGINT) is _note_and_raise:
        _asked = True
        _thread.interrupt_main(signal.SIGINT)


def _note_and_raise(signum, frame):
    global _pending, _deferred, _asked
    again, _asked = _asked, False
    if again and not _deferred:
        return  # a timer's delivery of a Ctrl-C that was raised meanwhile: not a second one
    _pending = True
    _deferred = _inside_llvmlite(frame)
    if _deferred:
        timer = threading.Timer(_RETRY_S, _ask_again)
        timer.daemon = True
        timer.start()
        return
    raise KeyboardInterrupt


def _restore(previous_hook) -> bool:
    """Put back Python's handler and the previous unraisable hook; True if a Ctrl-C was raised
    while doing it (``signal.signal`` first runs a handler whose signal is pending: ours, which
    may raise; left half done, ours would stay installed for good)."""
    raised = False
    while True:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.unraisablehook = previous_hook
            return raised
        except KeyboardInterrupt:
            raised = True


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived that nobody has dealt with yet, or if the
    process that started this one asked it to stop (:func:`watch`)."""
    if _pending or (_stop is not None and _stop.is_set()):
        handled()
        raise KeyboardInterrupt


def watch(flag) -> None:
    """From now on, :func:`check` also stops when ``flag.is_set()`` (a ``multiprocessing.Event``
    the parent sets on its Ctrl-C, in a worker that ignores SIGINT itself)."""
    global _stop
    _stop = flag


def handled() -> None:
    """The KeyboardInterrupt of the last Ctrl-C was caught and acted on: forget it."""
    global _pending, _deferred
    _pending = _deferred = False


@contextmanager
def recording():
    """Within, a Ctrl-C is noted as well as raised. It only takes over from Python's default
    handler in the main thread (a handler someone else installed is theirs), and puts the
    default back on leaving."""
    global _deferred
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
        late, _deferred = _deferred, False  # first, so the timer stops asking
        late = _restore(previous_hook) or late or _deferred
        _deferred = False
    if late:  # the block ended before the timer asked again, or a Ctrl-C came while leaving it
        raise KeyboardInterrupt
