"""``python -m harness`` is ``attestlab``."""

import sys

from harness.cli import main

sys.exit(main())
