"""Cases: scenarios x devices. The one place that expands a run into cases, names them and
chooses among them; the runner and the pytest plugin both use it and neither expands cases itself.

A case is a scenario on one device: its own simulated device, a device of the matrix (a
simulated model and OS version) or a real device read from a source. A matrix device that names
an EMM or an Okta Verify placement runs only the scenarios written for them (:func:`runs_on`):
a scenario's expectations follow from its own device settings, so a matrix never overrides them. Its id,
``<scenario name>[<device label>]``, is what reports, ``-k``, ``--shard`` and the pytest plugin's
item names use, so it is built here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.matrix import CaseDevice, MatrixDevice, SourceDevice, shard, simulated_label, source_label
from harness.scenarios.model import DeviceSpec, Scenario

if TYPE_CHECKING:  # selections are made by their callers (cli, the pytest plugin, matrix files)
    from harness.select import ScenarioFilter, Selection

__all__ = ["CaseDevice", "Expansion", "case_id", "device_label", "expand", "runs_on"]


def device_label(spec: DeviceSpec, override: CaseDevice) -> str:
    """The device column of a case: the matrix or real device, else the scenario's own."""
    if override is not None:
        return override.label
    if spec.source is not None:
        return source_label(spec.source)
    return simulated_label(spec.platform, spec.model, spec.os_version)


def case_id(scenario: Scenario, override: CaseDevice) -> str:
    return f"{scenario.name}[{device_label(scenario.device, override)}]"


def runs_on(scenario: Scenario, device: MatrixDevice | SourceDevice) -> bool:
    """Whether ``scenario`` runs on a matrix or real device: the same platform, and the EMM and
    Okta Verify placement the device names (if it names them) are the scenario's own (no EMM
    is ``none``; the placement is the one the scenario starts with)."""
    spec = scenario.device
    emm = spec.emm.provider if spec.emm is not None else "none"
    return (
        device.platform is scenario.platform
        and device.emm in (None, emm)
        and device.okta_verify in (None, spec.okta_verify)
    )


@dataclass(frozen=True, slots=True)
class Expansion:
    """The devices of a run (index 0: "the scenario's own device") and the (scenario, device)
    index pairs chosen; ``deselected`` counts what was left out, as pytest counts it: a scenario
    the matrix's ``scenarios:`` leaves out or no device runs, and each case ``-k``/``-m``/``--tag``
    did not choose."""

    devices: list[CaseDevice]
    cases: list[tuple[int, int]]
    deselected: int


def expand(
    scenarios: Sequence[Scenario],
    matrix: Sequence[MatrixDevice | SourceDevice] | None = None,
    *,
    selection: Selection | None = None,
    shard_of: tuple[int, int] | None = None,
    only: ScenarioFilter | None = None,
) -> Expansion:
    """Every scenario the matrix's ``only`` admits on every matrix device it :func:`runs_on` (on
    its own device without a matrix, or when it reads its device from a capture), then the
    selection, then the shard."""
    devices: list[CaseDevice] = [None, *(matrix or [])]
    cases = [
        (si, di)
        for si, scenario in enumerate(scenarios)
        if only is None or only.admits(scenario.path, scenario.tags)
        for di, device in enumerate(devices)
        if (device is None) == (not matrix or scenario.device.source is not None)
        and (device is None or runs_on(scenario, device))
    ]
    deselected = len(scenarios) - len({si for si, _ in cases})
    if selection is not None:
        chosen = [
            (si, di)
            for si, di in cases
            if selection.selects(case_id(scenarios[si], devices[di]), scenarios[si].tags, scenarios[si].platform.value)
        ]
        deselected += len(cases) - len(chosen)
        cases = chosen
    if shard_of is not None:
        index, total = shard_of
        cases = shard(cases, index, total, key=lambda c: case_id(scenarios[c[0]], devices[c[1]]))
    return Expansion(devices, cases, deselected)
