"""Live-Android test helpers: the bundled Android captures and the org they are judged against.

The real adb server the ``adb-server:`` tests go through is :class:`tests.helpers.AdbServer`
(the ``adb_server`` fixture of tests/conftest.py).
"""

from __future__ import annotations

from tests.helpers import CAPTURES, ORGS

ANDROID_CAPTURES = sorted(p for p in (CAPTURES / "android").iterdir() if p.is_dir())
STANDARD_ORG = ORGS / "standard.yaml"
