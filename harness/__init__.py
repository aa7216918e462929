"""The QA machinery around :mod:`simulator`: device sources, scenarios, matrices, reports, CLI."""

#: The distribution's version (pyproject.toml reads it from here: one place to change).
__version__ = "0.1.0"
