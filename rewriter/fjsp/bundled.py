"""Flexible job-shop instances by name: the bundled FJSPLIB benchmarks with their best-known
bounds, the generated evaluation sets, and classic job-shop instances.

:func:`load_instance` resolves its argument by these rules, in order (no name means two things):

1. ``jssp:<name or path>`` -- a classic job-shop instance (a bundled job-shop name such as
   ``jssp:ft06`` or a job-shop file, read by :mod:`rewriter.jssp.bundled`), converted by
   :func:`~rewriter.fjsp.io.from_job_shop`: one eligible machine per operation, the job shop's
   bounds kept. Without the prefix a job-shop name or file is never tried.
2. an existing file -- read by :func:`~rewriter.fjsp.io.read_instance` (FJSPLIB, JSON or CSV);
3. a bundled FJSPLIB name (``instances/fjsp/*.txt``, see ``fjsp/NOTICE``), case-insensitive,
   ``.txt`` optional, zero padding optional (``mk1`` is ``mk01``): ``mk01``, ``behnke12``,
   ``la09_edata``, ``dpp05a``, ``mt10xx``, ``kacem3``, ``fattahi20``;
4. a generated name ``prod_<n>x<m>_s<seed>`` / ``compat_<n>x<m>_s<seed>``
   (:mod:`rewriter.fjsp.generate`), regenerated on the spot.

The bundled names cannot clash with the generated ones (no bundled name contains ``x<digits>_s``)
nor with the ``jssp:`` prefix.
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
from .generate import GENERATED_FAMILIES, evaluation_names, generated_instance, parse_generated_name
from .instance import FlexibleInstance
from .io import from_job_shop, read_instance

__all__ = ["load_instance", "resolve_instance_path", "bundled_instances", "expand_instance_names",
           "natural_key", "JSSP_PREFIX"]

JSSP_PREFIX = "jssp:"
_NAME = re.compile(r"([a-z]+)(\d+)(.*)")
# FAMILY FIRST [SUFFIX] - [FAMILY] LAST [SUFFIX]: mk01-10, mk01-mk10, la01-40_edata, dpp01a-18a
_RANGE = re.compile(r"([a-z]+)(\d+)([a-z_][a-z0-9_]*)?-([a-z]+)?(\d+)([a-z_][a-z0-9_]*)?")
_GENERATED_RANGE = re.compile(r"((?:prod|tight|compat)_[1-9][0-9]*x[1-9][0-9]*_s)(\d+)-(\d+)")
_HURINK_SETS = ("sdata", "edata", "rdata", "vdata")
_HINT = "bundled names look like mk01, la09_edata, behnke12; generated ones like prod_100x50_s0"


def _data_dir() -> Path:
    # The package is installed as plain files (package data), so this is a real folder.
    return Path(str(files("rewriter.instances") / "fjsp"))


def natural_key(name: str):
    """Family letters, suffix, then the number as an integer: mk2 before mk10, and la01_edata ..
    la40_edata before la01_rdata."""
    match = _NAME.fullmatch(name)
    return (match.group(1), match.group(3), int(match.group(2)), name) if match else (name, "", -1, name)


@lru_cache(maxsize=None)
def _bounds() -> dict[str, dict]:
    """Rows of bounds.csv by name (read once)."""
    with open(_data_dir() / "bounds.csv", newline="", encoding="utf-8") as fh:
        rows = {}
        for row in csv.DictReader(fh):
            for key in ("n_jobs", "n_machines", "lower_bound", "upper_bound"):
                row[key] = int(row[key])
            rows[row["name"]] = row
    return rows


@lru_cache(maxsize=None)
def _files() -> dict[str, Path]:
    return {path.stem: path for path in _data_dir().glob("*.txt")}


@lru_cache(maxsize=None)
def _by_number() -> dict[tuple[str, int, str], str]:
    """(family letters, number, suffix) -> name, so that ``mk1`` and ``la9_edata`` resolve too."""
    table = {}
    for name in _files():
        match = _NAME.fullmatch(name)
        if match:
            table[match.group(1), int(match.group(2)), match.group(3)] = name
    return table


def _lookup(name: str) -> str | None:
    """The bundled name for a user-written name, or None."""
    key = name.strip().lower()
    if key.endswith(".txt"):
        key = key[:-4]
    if key in _files():
        return key
    match = _NAME.fullmatch(key)
    return _by_number().get((match.group(1), int(match.group(2)), match.group(3))) if match else None


def _job_shop_name(name: str) -> str | None:
    """The job-shop instance ``name`` stands for, if it is a bundled job-shop name (for the hint)."""
    from ..jssp import bundled as jssp_bundled

    try:
        path = jssp_bundled.resolve_instance_path(name)
    except InputError:
        return None
    return None if Path(name).exists() else jssp_bundled._canonical_stem(path.stem)


def _unknown(name: str) -> InputError:
    text = name.strip()
    if "/" in text or "\\" in text or Path(text).suffix.lower() not in ("", ".txt"):
        return InputError("no such file", path=name)
    groups = _groups()
    if text.lower() in groups or text.lower() in GENERATED_FAMILIES:
        members = groups.get(text.lower()) or evaluation_names(text.lower())
        return InputError(f"{text!r} is a group of {len(members)} instances ({members[0]} .. {members[-1]}); "
                          "name one instance, or pass the group where a list of instances is expected")
    job_shop = _job_shop_name(text)
    if job_shop is not None:
        return InputError(f"{text!r} is a classic job-shop instance, not a flexible one; load it as "
                          f"'{JSSP_PREFIX}{job_shop}' (one eligible machine per operation)")
    candidates = sorted(_files(), key=natural_key) + [n for family in GENERATED_FAMILIES for n in evaluation_names(family)]
    close = difflib.get_close_matches(text.lower(), candidates, n=3)
    suggestion = f"; did you mean {' or '.join(close)}?" if close else "."
    return InputError(f"unknown flexible job-shop instance {text!r}{suggestion} ({_HINT})")


def resolve_instance_path(name_or_path) -> Path:
    """The file of a bundled name or a filesystem path (an existing path wins: a directory or a
    FIFO too, which the reader then refuses as what it is)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    name = _lookup(str(name_or_path))
    if name is None:
        raise _unknown(str(name_or_path))
    return _files()[name]


def load_instance(name_or_path) -> FlexibleInstance:
    """The instance a name or path stands for (the rules are in the module docstring).

    A bundled instance gets its name, ``lower_bound``/``upper_bound``/``optimal`` from bounds.csv
    and ``metadata["family"]``; a file keeps the name :func:`~rewriter.fjsp.io.read_instance`
    gives it and no bounds unless it is the bundled file itself.
    """
    text = str(name_or_path)
    if text.lower().startswith(JSSP_PREFIX):
        from ..jssp.bundled import load_instance as load_job_shop

        rest = text[len(JSSP_PREFIX):]
        if not rest.strip():
            raise InputError(f"{text!r}: expected a job-shop name or file after '{JSSP_PREFIX}', e.g. jssp:ft06")
        try:
            return from_job_shop(load_job_shop(rest))
        except InputError as exc:
            if exc.path is not None:
                raise
            raise InputError(f"{JSSP_PREFIX}{rest}: {exc.reason}") from None
    path = Path(text)
    if not path.exists() and parse_generated_name(text) is not None:
        return generated_instance(text)
    path = resolve_instance_path(text)
    bundled = _files().get(path.stem.lower())
    is_bundled = bundled is not None and path.resolve() == bundled.resolve()
    instance = read_instance(path, name=path.stem.lower() if is_bundled else None)
    row = _bounds().get(path.stem.lower()) if is_bundled else None
    if row is not None:
        instance.lower_bound = row["lower_bound"]
        instance.upper_bound = row["upper_bound"]
        instance.optimal = row["status"] == "optimal"
        instance.bounds_curated = True
        instance.metadata["family"] = row["family"]
    return instance


def bundled_instances() -> list[dict]:
    """name, family, n_jobs, n_machines, lower_bound, upper_bound, status of every bundled instance."""
    keys = ("name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status")
    rows = [{key: row[key] for key in keys} for row in _bounds().values()]
    return sorted(rows, key=lambda row: natural_key(row["name"]))


def _groups() -> dict[str, list[str]]:
    """Group name -> bundled names: bks.json's families (mk, behnke, la, ...) and Hurink's sets."""
    groups: dict[str, list[str]] = {}
    for name, row in _bounds().items():
        groups.setdefault(row["family"], []).append(name)
        suffix = name.rsplit("_", 1)[-1]
        if "_" in name and suffix in _HURINK_SETS:
            groups.setdefault(suffix, []).append(name)
    return {key: sorted(names, key=natural_key) for key, names in groups.items()}


def expand_instance_names(spec: str) -> list[str]:
    """Expand ``mk01-10,behnke,la01-05_edata,prod,jssp:ft06,path/to/file.txt`` into names and paths.

    Items are comma separated: an existing path (kept as written); ``jssp:<items>`` (a job-shop
    name, range or family as :func:`rewriter.jssp.bundled.expand_instance_names` reads it, each
    result prefixed ``jssp:``); a range of bundled names ``mk01-10``, ``mk01-mk10``,
    ``la01-40_edata``, ``dpp01a-18a`` (both ends included); a range of generated seeds
    ``prod_100x50_s0-4``; a family of bks.json (``mk``, ``behnke``, ``la``, ``dpp``, ...), a Hurink
    set (``edata``, ``rdata``, ``sdata``, ``vdata``) or a generated evaluation set (``prod``,
    ``compat``); a bundled or generated name. Duplicates are dropped; anything else is an
    InputError.
    """
    items = [item.strip() for item in str(spec).split(",")]
    if not any(items):
        raise InputError(f"no instances given in {spec!r}; expected names like mk01-10,behnke1 ({_HINT})")
    groups = _groups()
    names: list[str] = []
    for item in filter(None, items):
        lowered = item.lower()
        if Path(item).is_file():
            names.append(item)
        elif lowered.startswith(JSSP_PREFIX):
            from ..jssp.bundled import expand_instance_names as expand_job_shop

            job_shop = expand_job_shop(item[len(JSSP_PREFIX):])
            check_instance_count(item, len(job_shop), len(names))
            names.extend(JSSP_PREFIX + name for name in job_shop)
        elif lowered in groups:
            names.extend(groups[lowered])
        elif lowered in GENERATED_FAMILIES:
            names.extend(evaluation_names(lowered))
        elif parse_generated_name(lowered) is not None:
            names.append(lowered)
        elif _GENERATED_RANGE.fullmatch(lowered):
            names.extend(_expand_generated_range(lowered, len(names)))
        elif "-" in item and "/" not in item and "\\" not in item:
            names.extend(_expand_range(item, len(names)))
        else:
            name = _lookup(item)
            if name is None:
                raise _unknown(item)
            names.append(name)
    return list(dict.fromkeys(names))


def _expand_generated_range(item: str, listed: int) -> list[str]:
    prefix, first, last = _GENERATED_RANGE.fullmatch(item).groups()
    if (len(first) > 1 and first.startswith("0")) or (len(last) > 1 and last.startswith("0")):
        raise InputError(f"malformed range {item!r}: seeds are written without leading zeros")
    if int(last) < int(first):
        raise InputError(f"malformed range {item!r}: the last seed is smaller than the first")
    check_instance_count(item, int(last) - int(first) + 1, listed)
    return [f"{prefix}{seed}" for seed in range(int(first), int(last) + 1)]


def _expand_range(item: str, listed: int) -> list[str]:
    match = _RANGE.fullmatch(item.lower())
    if match is None:
        raise InputError(f"malformed range {item!r}; expected FAMILY+FIRST-LAST like mk01-10, mk01-mk10 "
                         "or la01-40_edata")
    family, first, suffix1, family2, last, suffix2 = match.groups()
    first, last = int(first), int(last)
    if family2 and family2 != family:
        raise InputError(f"malformed range {item!r}: both ends must be of the same family ({family})")
    if suffix1 and suffix2 and suffix1 != suffix2:
        raise InputError(f"malformed range {item!r}: both ends must have the same suffix ({suffix1})")
    if last < first:
        raise InputError(f"malformed range {item!r}: the last number is smaller than the first")
    check_instance_count(item, last - first + 1, listed)
    suffix = suffix2 or suffix1 or ""
    table = _by_number()
    missing = [f"{family}{k}{suffix}" for k in range(first, last + 1) if (family, k, suffix) not in table]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        examples = [name for (fam, _, _), name in table.items() if fam == family]
        like = f"; names of this family look like {min(examples, key=natural_key)}" if examples else ""
        raise InputError(f"range {item!r} includes unknown instances: {shown}{like} ({_HINT})")
    return [table[family, k, suffix] for k in range(first, last + 1)]
