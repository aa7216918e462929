"""Where the bundled scenario catalog is.

An installed attestlab (a wheel, ``pip install .``) carries copies of ``scenarios/`` and
``fixtures/`` under ``harness/_catalog/`` (setup.py puts them there, side by side, so the
scenarios' relative paths to their fixtures hold); a checkout or an editable install has them at
the top of the repository. The installed copy is looked at first: a site-packages folder is no
checkout, whatever else lies beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_catalog"
_CHECKOUT = _PACKAGE.parent


def catalog_dir() -> Path:
    """The bundled ``scenarios/`` folder (which may not exist: the caller says so)."""
    installed = _INSTALLED / "scenarios"
    return installed if installed.is_dir() else _CHECKOUT / "scenarios"
