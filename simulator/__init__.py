"""The world attestlab emulates: phones, EMMs, Okta Verify and the Okta org that judges them.

Nothing here knows about scenarios, sources or reports (that is :mod:`harness`); the harness
builds on this package, never the other way round.
"""
