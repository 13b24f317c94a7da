"""Atomic file output: write a temporary file beside the target, then rename it over.

A reader (or a crash, or Ctrl-C) never leaves half a schedule, checkpoint or image behind. The
rename only ever replaces a regular file: a symbolic link is followed (the file it names is
replaced or, when it does not exist yet, made; the link stays), a device or pipe
(``/dev/stdout``) is written in place, and a file its owner made read-only is refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_target(path, what: str = "file") -> tuple[Path, os.stat_result | None]:
    """The file a write to ``path`` replaces and its status (None: not there yet). A symbolic
    link is followed, also one to a file not made yet (the link stays; replacing it by a regular
    file would break it); a link into a missing directory, or a loop of links, is an InputError
    naming ``what`` is written."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        status = None
    except OSError as exc:  # ELOOP: a loop of symbolic links
        raise InputError(f"cannot write the {what}: {exc.strerror or exc}", path=path) from None
    if not path.is_symlink() or (status is not None and not stat.S_ISREG(status.st_mode)):
        return path, status  # a device, a pipe or a directory behind a link is handled as such
    target = Path(os.path.realpath(path))
    if status is None and not target.parent.is_dir():
        raise InputError(f"cannot write the {what}: it is a symbolic link into directory "
                         f"'{target.parent}', which does not exist", path=path)
    return target, status


@contextmanager
def atomic_open(path, mode: str = "w"):
    """Open a temporary file beside ``path`` (``"w"`` text or ``"wb"`` binary); on success it
    replaces ``path`` (keeping an existing file's permissions), on any error it is removed."""
    path, status = output_target(path)
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise InputError("is a directory; expected a file name", path=path)
    if status is not None and not stat.S_ISREG(status.st_mode):
        with open(path, mode, **kwargs) as fh:  # a device or a pipe: it cannot be replaced
            yield fh
        return
    if status is not None and (not os.access(path, os.W_OK) or not status.st_mode & 0o222):
        raise InputError("the file is read-only; make it writable or choose another name",
                         path=path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        if status is None:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600
        else:
            os.chmod(tmp, stat.S_IMODE(status.st_mode))
            if os.geteuid() == 0:
                os.chown(tmp, status.st_uid, status.st_gid)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic(path, data: str | bytes) -> Path:
    """Write text or bytes to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)
    return Path(path)
