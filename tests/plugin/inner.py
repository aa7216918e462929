"""How the plugin tests start an inner pytest session (``pytester``) the way a user's run would.

Importing this module first also imports what the inner sessions load: pytester restores
``sys.modules`` after each in-process run, and a second import of PyYAML's C loader next to the
first breaks its constructors, so those modules must already be there.
"""

from __future__ import annotations

import simulator.factory
import simulator.verifier.orgfile  # noqa: F401

#: Inner sessions run in a temp dir without the project's addopts: name the plugin (the entry
#: point has the module's name, so this is harmless where it is installed and needed where it is
#: not), and leave out what the project's addopts leave out: faker and pytest-benchmark cost
#: seconds of imports a session and serve nothing here.
PLUGIN = ["-p", "harness.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:faker", "-p", "no:benchmark"]
