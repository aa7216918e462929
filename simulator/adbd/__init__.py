"""A virtual Android phone over the real ADB wire protocol.

A :class:`~simulator.device.AndroidDevice` model (simulated by a scenario, or read from a
capture) is wrapped in a :class:`Phone` (root model, properties, files) and served by
:class:`AdbdServer` on TCP, or by :class:`MemoryLink` in memory, so that adb-shell, the ``adb``
client and anything built on them can read it as they read a real phone.

Modules: :mod:`~simulator.adbd.wire` (message codec), :mod:`~simulator.adbd.auth` (tokens,
signatures, keys), :mod:`~simulator.adbd.connection` (the state machine),
:mod:`~simulator.adbd.shell` (the sh subset and commands), :mod:`~simulator.adbd.outputs` (the
commands' real output formats), :mod:`~simulator.adbd.sync` (file transfer),
:mod:`~simulator.adbd.phone`, :mod:`~simulator.adbd.server`.
"""

from __future__ import annotations

from simulator.adbd.auth import AuthPolicy
from simulator.adbd.connection import FEATURES, Connection
from simulator.adbd.phone import Phone, RootAccess
from simulator.adbd.server import AdbdServer, MemoryLink

__all__ = ["FEATURES", "AdbdServer", "AuthPolicy", "Connection", "MemoryLink", "Phone", "RootAccess"]
