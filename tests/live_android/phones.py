"""Live-Android test helpers: the bundled captures, a real adb server of the test's own.

The ``adb-server:`` tests go through the real ``adb`` client's server (Debian's ``adb``),
started in the foreground (``adb nodaemon server``) on a free port with a private HOME, and
killed by its pid whatever happens.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.helpers import CAPTURES, ORGS, free_port

ANDROID_CAPTURES = sorted(p for p in (CAPTURES / "android").iterdir() if p.is_dir())
STANDARD_ORG = ORGS / "standard.yaml"
ADB = shutil.which("adb")


class AdbServer:
    """A real adb server of its own (``adb nodaemon server``) on a free port."""

    def __init__(self, home: Path) -> None:
        assert ADB is not None
        self.port = free_port()
        self.env = dict(os.environ, HOME=str(home), ANDROID_ADB_SERVER_PORT=str(self.port))
        home.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [ADB, "-P", str(self.port), "nodaemon", "server"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("the adb server did not start") from None
                time.sleep(0.05)

    def __call__(self, *args: str) -> str:
        assert ADB is not None
        done = subprocess.run(
            [ADB, "-P", str(self.port), *args], env=self.env, capture_output=True, timeout=30, check=False
        )
        return (done.stdout + done.stderr).decode()

    def connect(self, spec: str) -> str:
        """``adb connect`` the phone and wait until the server has it as ``device``; its serial."""
        self("connect", spec)
        self("-s", spec, "wait-for-device")
        return spec

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
