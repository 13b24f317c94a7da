"""Reading an input file as text, with one clear error for each way it can fail.

Every reader of the package goes through here: :func:`read_bytes` refuses what is not a regular
file (a directory, a FIFO, a device such as ``/dev/zero``) and files over :data:`MAX_FILE_BYTES`;
:func:`parse_json` turns every way ``json.loads`` fails (syntax, nesting, an integer past Python's
4300-digit limit) into one :class:`~rewriter.errors.InputError`; :func:`plain_int` reads an
integer token of a text format without tripping that digit limit; :func:`unzip_one` opens a zip
archive that holds one file (benchmark collections ship large instances zipped).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np

from .errors import InputError

# Far past any instance, schedule or results file (the largest generated instance is ~1 MB of
# JSON), and small enough that parsing one cannot exhaust memory.
MAX_FILE_BYTES = 256 * 2 ** 20
# Nesting deeper than this is refused: the package's files nest 6 levels at most, and a value
# nested some hundreds deep breaks repr() and json.dumps() in the error messages that show it.
MAX_JSON_DEPTH = 100
# An integer in a text file: ASCII digits, a minus sign allowed so that a negative value is
# reported as out of range by the check that reads it (no '+', '_', spaces or non-ASCII digits).
PLAIN_INT = re.compile(r"-?[0-9]+")
# Significant digits past which plain_int stops converting: beyond every reader's range, far
# below the 4300 digits over which int() raises a ValueError.
_LONGEST = 30
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a \ud800..\udfff escape, paired or not
# A zip archive starts with a local file header, or with the end record when it is empty.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_bytes(path: Path, expected: str = "an instance file") -> bytes:
    """The file's bytes; an InputError for a missing, unreadable or too large file, and for
    anything that is not a regular file (a directory; a FIFO or a device, whose reading would
    block or never end)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"is a directory; expected {expected}", path=path)
    if not path.exists():
        raise InputError("no such file", path=path)
    try:
        # O_NONBLOCK: opening a FIFO that no one writes to returns at once instead of waiting
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise InputError(f"is {kind}, not a regular file; expected {expected}", path=path)
        # A file over the limit is refused unread. Otherwise ask for the size the file has
        # (read() allocates what it is asked for up front: 256 MiB for a 10-byte file), then for
        # the rest, bounded, in case there is more: a file growing meanwhile, or one whose size
        # is unknown (0 in /proc).
        size = os.fstat(fd).st_size
        data = b""
        try:
            if size <= MAX_FILE_BYTES:
                data = fh.read(size + 1)
                if len(data) > size:
                    data += fh.read(MAX_FILE_BYTES + 1 - len(data))
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise InputError(f"larger than {MAX_FILE_BYTES // 2 ** 20} MiB; expected {expected}",
                         path=path)
    return data


def is_zip(path: Path, data: bytes) -> bool:
    """Is the file a zip archive: by its magic bytes, or by a ``.zip`` suffix (so that a damaged
    archive is reported as one)?"""
    return data[:4] in ZIP_MAGIC or Path(path).suffix.lower() == ".zip"


def unzip_one(data: bytes, path: Path, expected: str) -> tuple[str, bytes]:
    """The name and content of the one file in the zip archive ``data`` (read from ``path``).

    An InputError for a damaged or encrypted archive, for one that holds no file or several
    (folders do not count), and for a file that would inflate past :data:`MAX_FILE_BYTES` (a zip
    bomb): its declared size is checked before inflating, and the inflating stops there anyway,
    should the declaration lie. A zip inside the zip is refused, not opened in turn."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            if len(files) != 1:
                names = ", ".join(repr(clip(info.filename, 40)) for info in files[:3])
                more = ", ..." if len(files) > 3 else ""
                held = f"{len(files)} files ({names}{more})" if files else "no file"
                raise InputError(f"the zip archive holds {held}; expected exactly one file, "
                                 f"{expected}", path=path)
            info = files[0]
            member = clip(info.filename, 40)
            if info.file_size > MAX_FILE_BYTES:
                raise _too_large_member(member, info.file_size, expected, path)
            with archive.open(info) as fh:  # stops at the declared size, or fails its CRC
                content = fh.read(MAX_FILE_BYTES + 1)
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError,
            RuntimeError, EOFError, OSError, ValueError) as exc:
        # zipfile raises all of these: damaged directory or data, CRC mismatch, an unsupported
        # compression method, encryption without a password, a truncated stream
        raise InputError(f"cannot read the zip archive ({clip(str(exc), 80)}); expected a zip "
                         f"archive holding one file, {expected}", path=path) from None
    if len(content) > MAX_FILE_BYTES:
        raise _too_large_member(member, len(content), expected, path)
    if content[:4] in ZIP_MAGIC:
        raise InputError(f"the zip archive holds another zip archive ({member!r}); expected "
                         f"{expected}", path=path)
    return info.filename, content


def _too_large_member(member: str, size: int, expected: str, path: Path) -> InputError:
    return InputError(f"the zip archive's file {member!r} inflates to {size} bytes, over "
                      f"{MAX_FILE_BYTES // 2 ** 20} MiB; expected {expected}", path=path)


def decode(data: bytes, path: Path, expected: str) -> str:
    """UTF-8 text (a BOM dropped); an InputError naming ``expected`` for binary or other text."""
    if b"\x00" in data:
        raise InputError(f"binary content (NUL bytes); expected {expected}", path=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text; expected {expected}", path=path, line=line) from None


def read_text(path: Path, expected: str) -> str:
    """:func:`read_bytes` then :func:`decode`."""
    return decode(read_bytes(path, expected), path, expected)


def read_json(path: Path, expected: str, **options):
    """The JSON value of a file, every failure an InputError (:func:`read_text`, :func:`parse_json`)."""
    return parse_json(read_text(path, expected), path, expected, **options)


def lines(text: str) -> list[str]:
    """The lines of a text, split at '\\n' only: str.splitlines() also breaks at '\\v', '\\f',
    '\\x1c'..'\\x1e', '\\x85' and '\\u2028', which would shift every line number after one. Within
    a line those characters are whitespace to str.split(), and a '\\r' of '\\r\\n' is too. As
    with splitlines(), a final '\\n' ends the last line rather than starting an empty one."""
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return parts


def parse_json(text: str, path, expected: str | None = None, **options):
    """``json.loads(text, **options)``; a syntax error, nesting deeper than
    :data:`MAX_JSON_DEPTH` and an integer over Python's 4300-digit limit are one InputError
    naming ``path`` and the line. Exceptions raised by ``options`` hooks pass through."""
    hint = f"; expected {expected}" if expected else ""
    try:
        data = json.loads(text, **options)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno}){hint}", path=path,
                         line=exc.lineno) from None
    except RecursionError:
        raise _too_deep(text, path, hint) from None
    except ValueError:  # int() refuses more than 4300 digits (sys.get_int_max_str_digits())
        bare = _JSON_STRING.sub('""', text)  # digits in strings are no integer
        huge = re.search(r"[0-9]{%d,}" % (sys.get_int_max_str_digits() + 1), bare)
        line = bare.count("\n", 0, huge.start()) + 1 if huge else None
        digits = f"{len(huge.group())} digits" if huge else "thousands of digits"
        raise InputError(f"an integer of {digits} is far too large{hint}", path=path,
                         line=line) from None
    if isinstance(data, (list, dict)) and _depth_exceeded(text) is not None:
        raise _too_deep(text, path, hint)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        # "\ud800" alone is valid JSON but no text: printing it (a name) would crash the output
        raise InputError(f"a string holds an unpaired surrogate escape (\\ud800-\\udfff){hint}",
                         path=path)
    return data


def _has_lone_surrogate(data) -> bool:
    """Does a string (key or value) anywhere in ``data`` hold an unpaired surrogate?"""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _depth_exceeded(text: str) -> int | None:
    """Where the nesting of a JSON text first exceeds MAX_JSON_DEPTH (an index into ``text``
    with its strings emptied, which keeps the line count), or None. Vectorised: a fraction of
    the time json.loads takes."""
    bare = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass")
    if bare.count(b"[") + bare.count(b"{") <= MAX_JSON_DEPTH:
        return None
    step = np.zeros(256, dtype=np.int8)
    step[list(b"[{")], step[list(b"]}")] = 1, -1
    codes = np.frombuffer(bare, dtype=np.uint8)
    depth = 0  # at the start of each chunk: chunks of 4 MiB keep a 100 MB schedule at 16 MB of
    # int32 depths at a time, where one int64 pass took 800 MB and three times as long
    for first in range(0, codes.shape[0], _DEPTH_CHUNK):
        running = np.cumsum(step[codes[first:first + _DEPTH_CHUNK]], dtype=np.int32) + depth
        deep = np.flatnonzero(running > MAX_JSON_DEPTH)
        if deep.size:
            return first + int(deep[0])
        depth = int(running[-1])
    return None


_DEPTH_CHUNK = 1 << 22


def _too_deep(text: str, path, hint: str) -> InputError:
    where = _depth_exceeded(text)
    line = None
    if where is not None:
        line = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass").count(b"\n", 0, where) + 1
    return InputError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep{hint}", path=path,
                      line=line)


def plain_int(token: str) -> int | None:
    """The value of a plain ASCII decimal integer token (a leading '-' allowed; no '+', '_',
    spaces or non-ASCII digits, which int() would read), else None. A value of more than 30
    significant digits comes back as +-10**30, past every reader's range check: int() itself
    raises a ValueError (no InputError) for more than 4300 digits."""
    if PLAIN_INT.fullmatch(token) is None:
        return None
    if len(token) <= _LONGEST:  # the common case, kept fast: files hold millions of tokens
        return int(token)
    digits = token.lstrip("-").lstrip("0")  # int() counts leading zeros against its limit too
    value = int(digits or "0") if len(digits) <= _LONGEST else 10 ** _LONGEST
    return -value if token.startswith("-") else value


def clip(token: str, width: int = 24) -> str:
    """A token for an error message, its middle cut when long (a 5000-digit number)."""
    if len(token) <= width:
        return token
    return f"{token[:width // 2]}...{token[-4:]} ({len(token)} characters)"


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs):
    data = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def parse_json_strict(text: str, path, expected: str | None = None):
    """:func:`parse_json`, and a key that appears twice in one object is an InputError too
    (``json.loads`` would keep the last one silently)."""
    try:
        return parse_json(text, path, expected, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise InputError(f"the key {exc.args[0]!r} appears twice in one JSON object",
                         path=path) from None


def shown(value) -> str:
    """A value as it reads in JSON (``true``, ``null``, ``"3"``), shortened, for a message."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
