"""Package attributes loaded on first use, so importing a package root stays cheap."""

from __future__ import annotations

from importlib import import_module


def lazy_attributes(package: str, names: dict[str, str], namespace: dict):
    """A module ``__getattr__`` for ``package`` that imports ``names[attr]`` (a relative module
    name) on first access and caches the attribute in ``namespace``."""

    def __getattr__(name: str):
        if name in names:
            value = getattr(import_module(names[name], package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
