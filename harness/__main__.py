"""``python -m harness`` is ``attestlab``."""

from harness.cli import main

main()
