"""The one exception type for bad input: the CLI turns it into a single clear line and exit code 2."""


class InputError(ValueError):
    """Bad user input: a malformed instance file, an unknown name, a bad option.

    The message names the file (and line, where there is one) and says what was expected.
    """

    def __init__(self, message: str, *, path=None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path + (f", line {line}" if line is not None else "") + ": "
        super().__init__(where + message)


class NoSchedule(InputError):
    """A solver found no schedule within its budget (CP-SAT stopped before its first one).

    For ``rewriter solve`` it is the time limit that is too short, so it reads as bad input (one
    line, exit code 2). ``rewriter compare`` records the cell as ``no_schedule`` instead of
    stopping: its tables show "-" for it and for the group means it would enter."""


def is_interrupt(exc: BaseException) -> bool:
    """Is ``exc`` a Ctrl-C? A SIGINT that arrives while a numba kernel returns its result comes
    out as ``SystemError: ... returned a result with an exception set``, caused by the
    KeyboardInterrupt."""
    return isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, SystemError)
        and isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt))
