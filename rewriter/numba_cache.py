"""Where numba caches the compiled kernels (``@njit(cache=True)``) of a read-only install.

Numba writes its cache beside the source (``__pycache__``), else in the user's cache directory
(``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``). When neither can be written (an install in a
read-only location for a user with no writable home), decorating a cached kernel raises
``RuntimeError: cannot cache function ...: no locator available``, so nothing that uses a kernel
works. :func:`configure` runs when the package is imported, before any numba import, and only
then points ``NUMBA_CACHE_DIR`` at a private temporary directory. It imports nothing heavy.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

#: the package directories whose modules define cached kernels
KERNEL_PACKAGES = ("shop", "jssp", "fjsp", "mrt", "crew", "learn", "envs")


def _writable_dir(path: Path) -> bool:
    """Can a cache directory be made (or used) at ``path``? Creates it if it can."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _source_writable(directory: Path) -> bool:
    """Could numba write its in-tree cache (``directory/__pycache__``)?"""
    cache = directory / "__pycache__"
    target = cache if cache.is_dir() else directory
    return os.access(target, os.W_OK | os.X_OK)


def _private_temp_dir(temp_root: str | None = None) -> str:
    """``TMP/rewriter-numba-UID``, owned by this user and closed to others; a fresh temporary
    directory if that name is taken by someone else or is open to others (a cache another user
    can write could plant compiled code)."""
    root = Path(temp_root or tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = root / f"rewriter-numba-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        status = path.lstat()
        if (stat.S_ISDIR(status.st_mode) and status.st_uid == uid
                and not status.st_mode & 0o022 and os.access(path, os.W_OK | os.X_OK)):
            return str(path)
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="rewriter-numba-", dir=str(root))


def choose_cache_dir(package_dir: str | os.PathLike, environ=os.environ,
                     temp_root: str | None = None) -> str | None:
    """The directory to give numba as ``NUMBA_CACHE_DIR``, or None to leave numba's own choice.

    None when ``NUMBA_CACHE_DIR`` is set already, when numba can write beside the kernels'
    sources, or when it can write its user-wide cache; otherwise a private temporary directory.
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    package_dir = Path(package_dir)
    dirs = [package_dir] + [package_dir / name for name in KERNEL_PACKAGES
                            if (package_dir / name).is_dir()]
    if all(_source_writable(d) for d in dirs):
        return None
    # numba's user-wide cache (numba.misc.appdirs.user_cache_dir on Linux)
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if _writable_dir(Path(base) / "numba"):
        return None
    return _private_temp_dir(temp_root)


def configure() -> str | None:
    """Set ``NUMBA_CACHE_DIR`` when numba could not cache otherwise (module docstring); returns
    the directory set, if any. Never raises: a failure here must not stop the import."""
    try:
        chosen = choose_cache_dir(Path(__file__).resolve().parent)
    except Exception:  # noqa: BLE001 - the package must import whatever the file system says
        return None
    if chosen is not None:
        os.environ["NUMBA_CACHE_DIR"] = chosen
        config = sys.modules.get("numba.core.config")
        if config is not None:  # numba was imported first: its config has read the variable
            config.CACHE_DIR = chosen
    return chosen
