"""How the plugin tests start an inner pytest session (``pytester``) the way a user's run would.

Importing this module first also imports what the inner sessions load: pytester restores
``sys.modules`` after each in-process run, and a second import of PyYAML's C loader next to the
first breaks its constructors, so those modules must already be there. ``harness.matrix`` too:
imported for the first time inside an inner run, it is dropped afterwards and imported again by
the next test, and its ``SourceDevice`` class, checked by ``isinstance``, comes in two
generations (the live-Android runs then failed after an in-process run, ``-n 0``).
"""

from __future__ import annotations

import pytest

import harness.matrix  # noqa: F401
import simulator.factory
import simulator.verifier.orgfile  # noqa: F401
from tests.helpers import ROOT

#: Inner sessions run in a temp dir without the project's addopts (a run over the checkout's own
#: files adds :func:`catalog_config`): name the plugin (the entry point has the module's name, so
#: this is harmless where it is installed and needed where it is not), and, as the project's
#: addopts do (pyproject.toml), load only the plugins named: autoloading every installed plugin
#: (faker, pytest-benchmark, anyio with trio) and rewriting their packages' asserts cost each
#: inner process ~1.8 s of CPU, three processes a run with ``-n 2``.
PLUGIN = ["--disable-plugin-autoload", "-p", "xdist", "-p", "harness.pytest_plugin", "-p", "no:cacheprovider"]


def catalog_config(pytester: pytest.Pytester) -> list[str]:
    """Options for an inner run over files of the checkout (the bundled catalog): an empty
    configuration file of the run's own, and the checkout as rootdir, so that ids read
    ``scenarios/...`` as before.

    Without them pytest takes the nearest configuration above the paths given, the project's
    ``pyproject.toml``, whose addopts (``-n auto``, Hypothesis' plugin, pytester) are the suite's,
    not a user's: Hypothesis' import alone cost each inner process ~0.4 s of CPU."""
    ini = pytester.makefile(".ini", pytest="[pytest]\n")
    return ["-c", str(ini), "--rootdir", str(ROOT)]
