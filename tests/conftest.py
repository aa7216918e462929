"""What only this test suite needs: its Hypothesis profiles.

Orgs, phones, provisioned chains, the seeded RNG and the simulated clock come from attestlab's
own pytest plugin (``attestlab_factory``, ``attestlab_rng``, ``attestlab_clock``...:
docs/pytest.md), the fixtures users' tests get too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI runs the same examples every time (a red build must be reproducible); developers' runs
# explore new ones and keep failures in the local example database. Neither judges speed: on a
# shared 2-core machine generation time says how busy the machine is, not how good a test is
# (timing goals live in benchmarks/).
_UNTIMED = [HealthCheck.too_slow]
settings.register_profile("dev", deadline=None, suppress_health_check=_UNTIMED)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None, suppress_health_check=_UNTIMED)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
