"""The words of a device's EMM and Okta Verify placement, as scenario and matrix files write them.

A module of its own so that reading a matrix file, which the pytest plugin does at configure in
every process (xdist's controller too, before it starts the workers), does not import the
scenario model and, through it, the org file's pydantic models: ~0.3 s before the first worker
could start.
"""

from __future__ import annotations

ANDROID_PLACEMENTS = ("work", "personal", "both", "none")
IOS_PLACEMENTS = ("emm", "user", "none")
PROVIDERS = ("intune", "workspace_one", "none")
