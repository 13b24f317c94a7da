"""Reading an input file as text, with one clear error for each way it can fail."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError


def read_bytes(path: Path) -> bytes:
    """The file's bytes; an InputError for a directory, a missing or an unreadable file."""
    if path.is_dir():
        raise InputError("is a directory; expected an instance file", path=path)
    if not path.exists():
        raise InputError("no such file", path=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None


def decode(data: bytes, path: Path, expected: str) -> str:
    """UTF-8 text (a BOM dropped); an InputError naming ``expected`` for binary or other text."""
    if b"\x00" in data:
        raise InputError(f"binary content (NUL bytes); expected {expected}", path=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text; expected {expected}", path=path, line=line) from None
