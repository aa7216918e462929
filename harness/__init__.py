"""The QA machinery around :mod:`simulator`: device sources, scenarios, matrices, reports, CLI."""
