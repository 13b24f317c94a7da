"""The benchmark instances shipped with the package, found by name, with their best-known bounds.

The files live in the ``rewriter.instances`` package data (``jssp/*.txt``, standard format, copied
unchanged from ScheduleOpt/benchmarks, see ``jssp/NOTICE``); ``jssp/bounds.csv`` lists every one
with its size and lower/upper bounds. A name is matched case-insensitively, with or without
``.txt``, Taillard's ``js`` suffix or zero padding: ``ta41``, ``TA41``, ``ta41js``, ``ta41.txt``
and ``ta1`` / ``ta01`` all work. Canonical names are ``ft06``, ``la01``, ``abz5``, ``orb01``,
``swv01``, ``yn1``, ``ta41``, ``dmu16``.
"""

from __future__ import annotations

import csv
import difflib
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from ..core.spec import check_instance_count
from ..errors import InputError
from .instance import JobShopInstance
from .io import read_instance

__all__ = ["resolve_instance_path", "load_instance", "bundled_instances", "expand_instance_names"]

_NAME = re.compile(r"([a-z]+)(\d+)")
_RANGE = re.compile(r"([a-z]+)(\d+)-([a-z]*)(\d+)")
_HINT = "run `rewriter instances` to list the bundled instances"
#: a generated instance by name: rand_NxM_sS is rewriter.jssp.generate.random_instance(N, M,
#: seed=S), Taillard's style (durations uniform in 1..99, every job visits every machine once);
#: reentrant_NxM_sS is random_reentrant_instance(N, M, seed=S) (routes of 1..2M operations,
#: machines drawn with repeats); no known bounds
_RANDOM = re.compile(r"(rand|reentrant)_(\d+)x(\d+)_s(\d+)")
_RANDOM_RANGE = re.compile(r"(rand|reentrant)_(\d+)x(\d+)_s(\d+)-(\d+)")


def _data_dir() -> Path:
    # The package is installed as plain files (setup.cfg package_data), so this is a real folder.
    return Path(str(files("rewriter.instances") / "jssp"))


def natural_key(name: str):
    """Sort key: family letters, then the number as an integer (ta2 before ta10)."""
    match = _NAME.fullmatch(name)
    return (match.group(1), int(match.group(2)), name) if match else (name, -1, name)


@lru_cache(maxsize=None)
def _bounds() -> dict[str, dict]:
    """Rows of bounds.csv by canonical name (read once)."""
    with open(_data_dir() / "bounds.csv", newline="", encoding="utf-8") as fh:
        rows = {}
        for row in csv.DictReader(fh):
            for key in ("n_jobs", "n_machines", "lower_bound", "upper_bound"):
                row[key] = int(row[key])
            rows[row["name"]] = row
    return rows


@lru_cache(maxsize=None)
def _files() -> dict[str, Path]:
    """Bundled file of every canonical name (``ta41`` -> ``.../ta41js.txt``)."""
    return {_canonical_stem(path.stem): path for path in _data_dir().glob("*.txt")}


@lru_cache(maxsize=None)
def _by_number() -> dict[tuple[str, int], str]:
    """(family letters, number) -> canonical name, so that ``ta1`` and ``dmu016`` resolve too."""
    table = {}
    for name in _files():
        match = _NAME.fullmatch(name)
        if match:
            table[match.group(1), int(match.group(2))] = name
    return table


def _canonical_stem(stem: str) -> str:
    return re.sub(r"^(ta\d+)js$", r"\1", stem.lower())


def _lookup(name: str) -> str | None:
    """The canonical bundled name for a user-written name, or None."""
    key = name.strip().lower()
    if key.endswith(".txt"):
        key = key[:-4]
    key = _canonical_stem(key)
    if key in _files():
        return key
    match = _NAME.fullmatch(key)
    return _by_number().get((match.group(1), int(match.group(2)))) if match else None


def _unknown(name: str) -> InputError:
    if "/" in name or "\\" in name or Path(name).suffix.lower() not in ("", ".txt"):
        return InputError("no such file", path=name)
    close = difflib.get_close_matches(name.strip().lower(), sorted(_files(), key=natural_key), n=3)
    suggestion = f"; did you mean {' or '.join(close)}?" if close else "."
    return InputError(f"unknown instance {name!r}{suggestion} ({_HINT})")


def resolve_instance_path(name_or_path) -> Path:
    """The file for a bundled instance name or a filesystem path (an existing path wins)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    canonical = _lookup(str(name_or_path))
    if canonical is None:
        raise _unknown(str(name_or_path))
    return _files()[canonical]


def load_instance(name_or_path) -> JobShopInstance:
    """Read a bundled instance (by name) or a file (by path).

    A bundled instance gets its canonical name and the bounds from bounds.csv; a file keeps the
    name :func:`~rewriter.jssp.io.read_instance` gives it (the stem) and no bounds, unless it is
    the bundled file itself (files that only share a name are not trusted to share bounds) or a
    file of the repository's ``instances/large`` collection (its bks.json).
    """
    generated = _RANDOM.fullmatch(str(name_or_path).lower())
    if generated and not Path(name_or_path).exists():
        kind, *size = generated.groups()
        return _random(kind, *map(int, size))
    path = resolve_instance_path(name_or_path)
    canonical = _canonical_stem(path.stem)
    bundled = _files().get(canonical)
    is_bundled = bundled is not None and path.resolve() == bundled.resolve()
    instance = read_instance(path, name=canonical if is_bundled else None)
    row = _bounds().get(canonical) if is_bundled else _large_bounds(path)
    if row is not None:
        instance.lower_bound = row["lower_bound"]
        instance.upper_bound = row["upper_bound"]
        instance.optimal = row["status"] in ("optimal", "closed")
        instance.bounds_curated = True
        instance.metadata["family"] = row["family"]
    return instance


def _large_bounds(path: Path) -> dict | None:
    """The bounds of a file of the industrial-size collection in the repository's
    ``instances/large`` (not in the wheel: only from a source tree), from its bks.json; None for
    any other file."""
    large = _data_dir().parent / "large"
    try:
        path.resolve().relative_to(large.resolve())
    except ValueError:
        return None
    stem = path.name.removesuffix(".zip").removesuffix(".txt")
    return _large_table(str(large)).get(stem)


@lru_cache(maxsize=None)
def _large_table(large: str) -> dict[str, dict]:
    """bks.json of the collection by instance name (read once)."""
    import json

    path = Path(large) / "solutions" / "bks.json"
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {r["instance"]: r for r in rows
            if isinstance(r.get("lower_bound"), int) and isinstance(r.get("upper_bound"), int)}


def _random(kind: str, n_jobs: int, n_machines: int, seed: int) -> JobShopInstance:
    from .generate import random_instance, random_reentrant_instance

    if not (1 <= n_jobs <= 2000 and 1 <= n_machines <= 500):
        raise InputError(f"{kind}_{n_jobs}x{n_machines}_s{seed}: expected 1..2000 jobs and 1..500 "
                         "machines")
    generate = random_instance if kind == "rand" else random_reentrant_instance
    instance = generate(n_jobs, n_machines, seed=seed)
    instance.metadata["family"] = kind
    return instance


def bundled_instances() -> list[dict]:
    """name, family, n_jobs, n_machines, lower_bound, upper_bound, status of every bundled instance."""
    keys = ("name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status")
    rows = [{key: row[key] for key in keys} for row in _bounds().values()]
    return sorted(rows, key=lambda row: natural_key(row["name"]))


def expand_instance_names(spec: str) -> list[str]:
    """Expand ``ta41-50,dmu16-ta20,ft06,la,path/to/file.txt`` into names and paths, in order.

    Items are comma separated: an existing path (kept as written), a range ``ta41-50`` or
    ``ta41-ta50`` (both ends included), a whole family (``ta``), one bundled name, or generated
    random instances ``rand_30x20_s3`` (seed 3) and ``rand_30x20_s0-4`` (seeds 0 to 4), or
    re-entrant ones ``reentrant_30x20_s0-4``.
    Duplicates are dropped. Malformed ranges and unknown names raise InputError.
    """
    items = [item.strip() for item in str(spec).split(",")]
    if not any(items):
        raise InputError(f"no instances given in {spec!r}; expected names like ta41-50,ft06 ({_HINT})")
    families = {row["family"] for row in _bounds().values()}
    names: list[str] = []
    for item in filter(None, items):
        generated = _RANDOM_RANGE.fullmatch(item.lower())
        if Path(item).exists():
            names.append(item)
        elif _RANDOM.fullmatch(item.lower()):
            names.append(item.lower())
        elif generated:
            kind, (n, m, first, last) = generated.group(1), map(int, generated.groups()[1:])
            if last < first:
                raise InputError(f"{item}: the range runs backwards; expected e.g. rand_30x20_s0-4")
            check_instance_count(item, last - first + 1, len(names))
            names.extend(f"{kind}_{n}x{m}_s{s}" for s in range(first, last + 1))
        elif "-" in item and "/" not in item and "\\" not in item:
            names.extend(_expand_range(item, len(names)))
        elif item.lower() in families:
            names.extend(sorted((n for n, row in _bounds().items() if row["family"] == item.lower()),
                                key=natural_key))
        else:
            canonical = _lookup(item)
            if canonical is None:
                raise _unknown(item)
            names.append(canonical)
    return list(dict.fromkeys(names))


def _expand_range(item: str, listed: int) -> list[str]:
    match = _RANGE.fullmatch(item.lower())
    if match is None:
        raise InputError(f"malformed range {item!r}; expected FAMILY+FIRST-LAST like ta41-50 or ta41-ta50")
    family, first, family2, last = match.group(1), int(match.group(2)), match.group(3), int(match.group(4))
    if family2 and family2 != family:
        raise InputError(f"malformed range {item!r}: both ends must be of the same family ({family})")
    if last < first:
        raise InputError(f"malformed range {item!r}: the last number is smaller than the first")
    check_instance_count(item, last - first + 1, listed)
    table = _by_number()
    missing = [f"{family}{k}" for k in range(first, last + 1) if (family, k) not in table]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise InputError(f"range {item!r} includes unknown instances: {shown} ({_HINT})")
    return [table[family, k] for k in range(first, last + 1)]
