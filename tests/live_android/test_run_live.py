"""``attestlab run --device adb:... --device adb-server:...`` runs scenarios on live phones next
to simulated matrix devices, each live phone read once for the whole run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from simulator.adbd import AdbdServer
from tests.helpers import CATALOG, AdbServer, attestlab
from tests.live_android.phones import ANDROID_CAPTURES

PHONE = next(p for p in ANDROID_CAPTURES if p.name == "galaxy-s23-android14-ws1-abx")


def test_live_phones_run_next_to_simulated_ones(
    adbd: Callable[[Path], AdbdServer], adb_server: AdbServer, tmp_path: Path
) -> None:
    direct, served = adbd(PHONE), adbd(PHONE)
    serial = adb_server.connect(served.spec)
    matrix = tmp_path / "matrix.yaml"
    matrix.write_text("devices:\n  - platform=android,model=Pixel 8,version=14\n")
    report = tmp_path / "report.json"
    scenarios = [CATALOG / "android" / name for name in ("workspace-one-managed.yaml", "wrong-key-case.yaml")]
    result = attestlab(
        "run", *scenarios, "--seed", "3", "--workers", "2", "--matrix", matrix, "--json", report,
        "--device", f"adb:{direct.spec}", "--device", f"adb-server:{serial}",
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    cases = json.loads(report.read_text())["cases"]
    live = {f"adb:{direct.spec}", f"adb-server:{serial}"}
    simulated = {case["device"] for case in cases} - live
    assert len(simulated) == 1 and "Pixel 8" in simulated.pop()
    assert live <= {case["device"] for case in cases}
    assert len(cases) == 6
    assert all(case["outcome"] != "error" for case in cases), [c["message"] for c in cases]
    # Read once per run (three round trips each), however many cases and workers used it.
    assert direct.opens == 3 and served.opens == 3
