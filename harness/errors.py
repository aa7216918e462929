"""Errors of the harness, in the same tree as :mod:`simulator.errors`.

::

    AttestlabError                  (simulator.errors)
    ├── ConfigError ...             (simulator.errors)
    ├── InputError                  a user-supplied file is wrong: names file, line, field
    ├── ParseError                  device output could not be parsed: names the file/request
    │                               and, for binary formats, the byte offset
    └── SourceError                 a device source is unusable (unreachable, incomplete)
        └── CaptureError            a capture directory is missing a file or a request

The CLI turns any :class:`AttestlabError` into exit code 2 and its one-line message.
"""

from __future__ import annotations

from simulator.errors import AttestlabError


class InputError(AttestlabError):
    """A scenario, org, matrix or MDM file supplied by the user is invalid."""


class ParseError(AttestlabError):
    """Output read from a device (or a capture of it) is malformed, oversized or hostile."""


class SourceError(AttestlabError):
    """A device source cannot be used: unreachable, refused, or missing what was asked."""


class CaptureError(SourceError):
    """A capture directory is incomplete or inconsistent."""
