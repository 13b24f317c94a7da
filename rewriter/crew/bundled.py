"""Crew instances by name or path.

:func:`load_instance` resolves its argument by these rules, in order:

1. an existing file: read by :func:`rewriter.crew.io.read_instance` (JSON or CSV);
2. a generated name ``crew_u{n}x{m}_s{seed}`` / ``crew_c{n}x{m}_s{seed}``
   (:mod:`rewriter.crew.generate`), regenerated on the spot;
3. a bundled example (``instances/crew/*.json``, ``*.csv``) by its file stem, e.g.
   ``crew_example_8x3``; a ``.json``/``.csv`` suffix is accepted too.

The bundled names (``crew_example_...``) cannot clash with the generated ones.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..errors import InputError
from .generate import NAME, instance_from_name
from .instance import CrewInstance
from .io import looks_like_crew, read_instance

__all__ = ["load_instance", "recognizes", "bundled_instances", "bundled_path"]

_SUFFIXES = (".json", ".csv")
_HINT = ("expected a crew instance file (.json or .csv), a generated name such as "
         "crew_u200x30_s0 or crew_c1000x100_s3 (u: uniform, c: clustered; orders x operators, "
         "seed), or a bundled example")


def _data_dir() -> Path:
    # installed as plain files (package data), so this is a real folder
    return Path(str(files("rewriter.instances") / "crew"))


def bundled_instances() -> dict[str, Path]:
    """Bundled example name -> file."""
    folder = _data_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.iterdir())
            if path.suffix in _SUFFIXES and path.is_file()}


def bundled_path(text: str) -> Path | None:
    """The bundled example file named ``text`` (with or without its suffix), or None."""
    stem = text[:-len(Path(text).suffix)] if Path(text).suffix.lower() in _SUFFIXES else text
    return bundled_instances().get(stem)


def load_instance(text) -> CrewInstance:
    """The instance a command-line argument names (module docstring)."""
    text = str(text)
    path = Path(text)
    if path.exists():
        return read_instance(path)
    generated = instance_from_name(text)
    if generated is not None:
        return generated
    bundled = bundled_path(text)
    if bundled is not None:
        return read_instance(bundled)
    examples = ", ".join(bundled_instances()) or "none installed"
    raise InputError(f"{text}: no such file, generated name or bundled example; {_HINT} "
                     f"({examples})")


def recognizes(text) -> bool:
    """Is ``text`` a crew instance: a crew file (:func:`~rewriter.crew.io.looks_like_crew`), or,
    when no such file exists, a generated name or a bundled example? Never raises."""
    try:
        text = str(text)
        if Path(text).exists():
            return looks_like_crew(text)
        return NAME.fullmatch(text) is not None or bundled_path(text) is not None
    except Exception:  # noqa: BLE001 -- a guess about an argument must never stop the caller
        return False
