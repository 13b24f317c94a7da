"""The package version, in a module of its own so that anything can read it without loading a
problem, torch or numba."""

__version__ = "0.1.0"
