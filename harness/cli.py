"""The ``attestlab`` command (DESIGN.md §2, CLI contract).

Exit codes: 0 every expectation met / device managed; 1 some case failed / device not managed;
2 bad input or unusable source (one line naming the file, line or source; ``--debug`` adds the
traceback). Ctrl-C writes the reports of what finished and exits 130 (SIGTERM: 143).

No ``from __future__ import annotations`` here, unlike the rest of the package: typer reads
each command's signature with ``typing.get_type_hints``, and string annotations made it compile
and evaluate every ``Annotated[..., typer.Option(...)]`` again (~20 ms of CPU at every start,
a twentieth of a one-scenario run). Only the names imported for type checking are quoted.
"""

import functools
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
import typer.main

from harness import __version__
from harness.errors import InputError
from harness.source_options import SourceOptions
from harness.usage import seconds
from simulator.errors import AttestlabError

if TYPE_CHECKING:
    from rich.console import Console

    from harness.report import Reporter
    from harness.report.terminal_writer import TerminalWriter
    from harness.runner import Plan

app = typer.Typer(
    name="attestlab",
    help="Test Okta Device Trust on Android and iOS: simulate the chain, read real devices, run scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as click and argparse print it: rich's help formatter imports Markdown and
    # Pygments, which tripled the cost of ``attestlab --help``.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
report_app = typer.Typer(help="Work with report files.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(report_app, name="report")
device_app = typer.Typer(help="Virtual phones.", no_args_is_help=True)
app.add_typer(device_app, name="device")
org_app = typer.Typer(help="Edit org files.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(org_app, name="org")


class PlatformChoice(StrEnum):
    """``--platform`` (simulator.device.Platform's values; that module is not imported at start-up)."""

    ANDROID = "android"
    IOS = "ios"


AdbKey = Annotated[
    Path | None,
    typer.Option(
        "--adb-key",
        metavar="FILE",
        help="RSA key for adb: sources (adb's own: ~/.android/adbkey). Default: attestlab's, made on first use.",
    ),
]
#: ``--mdm FILE`` (repeatable): the MDM's side of an iPhone (harness.parsers.mdm_exports).
MdmFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--mdm",
        metavar="FILE",
        help="iOS: what the MDM knows, from its answers or exports (ManagedApplicationList, "
        "ManagedApplicationConfiguration, ProfileList plists; a Graph or Workspace ONE JSON export; an "
        "Intune XML dict; the SSO extension's .mobileconfig). Repeatable.",
        show_default=False,
    ),
]


def _source_options(adb_key: Path | None) -> SourceOptions:
    return SourceOptions(adb_key=adb_key)


#: The longest ``--timeout``: a day (the case deadline is an interval timer, which overflows
#: near 2**33 seconds; ``inf`` crashed it).
MAX_CASE_TIMEOUT = 86400

#: The most ``--retries``: each attempt has its own deadline, so a case on a dead device with
#: ``--retries 100000000`` ran for days. A case that errors more than ten times running is
#: broken, not flaky.
MAX_RETRIES = 10

#: The loggers whose debug lines ``--debug`` shows; other libraries' (asyncio's, adb-shell's...) stay at WARNING.
_OWN_LOGGERS = ("harness", "simulator")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"attestlab {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logs (also accepted after the command).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Test Okta Device Trust on Android and iOS: simulate the chain, read real devices, run scenarios."""
    _configure_logging(debug)


def _configure_logging(debug: bool) -> None:
    """Library logs never carry secrets (hints are redacted); show ours at DEBUG only when asked."""
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING if debug else logging.ERROR)
    for name in _OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.NOTSET)


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Scenario files or folders (default: the bundled catalog).", show_default=False
        ),
    ] = None,
    org: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Org file to use instead of each scenario's org.")
    ] = None,
    device: Annotated[
        list[str] | None,
        typer.Option(
            "--device",
            metavar="SOURCE",
            help="A real device (capture:DIR, adb:HOST:PORT, adb-server:SERIAL): scenarios of its platform run "
            "on it, read once. Repeatable.",
        ),
    ] = None,
    matrix: Annotated[Path | None, typer.Option(metavar="FILE", help="Device matrix file (YAML).")] = None,
    shard: Annotated[str | None, typer.Option(metavar="K/N", help="Run only shard K of N, e.g. 2/4.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="N",
            help="Worker processes: at most one per CPU and per case, and none for a plan under 100 cases "
            "(one process is faster there) unless --force-workers.",
        ),
    ] = 1,
    force_workers: Annotated[
        bool, typer.Option("--force-workers", help="Start exactly --workers processes, whatever the plan or CPUs.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            parser=seconds(MAX_CASE_TIMEOUT),
            metavar="S",
            help="Seconds a case may take before it is stopped as an error case (0: no limit).",
        ),
    ] = 60.0,
    json_path: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write the JSON report here ('-': standard output).")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write a JUnit XML report here ('-': standard output).")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the HTML device x scenario grid here ('-': standard output)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="Seed for identities, keys and secrets (default: random, printed).")
    ] = None,
    keyword: Annotated[
        str | None,
        typer.Option("-k", metavar="EXPR", help="Only cases whose id matches, e.g. -k 'pixel and not hint'."),
    ] = None,
    marks: Annotated[
        str | None,
        typer.Option("-m", metavar="EXPR", help="Only scenarios whose tags match, e.g. -m 'known_issue and ios'."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Only scenarios with this tag. Repeatable.")
    ] = None,
    exitfirst: Annotated[
        bool, typer.Option("-x", "--exitfirst", help="Stop after the first failed or errored case.")
    ] = False,
    maxfail: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Stop after N failed or errored cases.")
    ] = None,
    collect_only: Annotated[
        bool, typer.Option("--collect-only", help="List the cases that would run, and run none.")
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="-v: a line per case and a FAILURES section; -vv: every case's steps."
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, only the summary.")] = False,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            max=MAX_RETRIES,
            metavar="N",
            help="Run an errored case again up to N times; one that then passes is flaky.",
        ),
    ] = 0,
    adb_key: AdbKey = None,
) -> None:
    """Run attestation scenarios and report whether every expectation was met."""
    from harness import runner, snapshots
    from harness.matrix import MatrixDevice, SourceDevice, load_matrix, source_device
    from harness.report import JsonReporter, Reporter, TerminalReporter
    from harness.shards import parse_shard
    from simulator.verifier.orgfile import read_org_file

    shard_of = parse_shard(shard) if shard else None
    org_spec = read_org_file(org)[0] if org else None
    snapshots.configure(_source_options(adb_key))
    matrix_file = load_matrix(matrix) if matrix else None
    devices: list[MatrixDevice | SourceDevice] = matrix_file.read() if matrix_file else []
    devices += [source_device(spec) for spec in device or []]
    devices = list(dict.fromkeys(devices))
    files = runner.collect(paths or [])
    asked = " ".join(
        [
            *([f"-k {keyword!r}"] if keyword is not None else []),
            *([f"-m {marks!r}"] if marks is not None else []),
            *(f"--tag {t!r}" for t in tag or []),
        ]
    )
    selection = None
    if asked:
        from harness.select import Selection  # the -k / -m grammar: imported when used

        selection = Selection.from_options(keyword, marks, tag)
    only = matrix_file.scenarios if matrix_file else None
    plan = runner.plan(files, org=org_spec, matrix=devices or None, shard_of=shard_of, selection=selection, only=only)
    empty = runner.nothing_to_run(plan, selection, asked, only)
    if empty is not None:
        raise InputError(empty)
    if collect_only:
        _print_collection(plan)
        raise typer.Exit(0)
    if seed is None:
        import secrets

        seed = secrets.randbelow(2**31)
    writer = _summary_writer(json_path, junit, html)
    terminal = TerminalReporter(writer, verbosity=-1 if quiet else verbose)
    terminal.set_total(plan.planned)
    reporters: list[Reporter] = [terminal]
    reporters += [JsonReporter(json_path)] if json_path else []
    reporters += _file_reports(junit, html)
    workers = runner.effective_workers(workers, len(plan.cases), force=force_workers)
    try:
        summary = runner.run(
            plan,
            reporters,
            seed=seed,
            workers=workers,
            shard_label=shard,
            timeout=timeout or None,
            retries=retries,
            maxfail=1 if exitfirst else maxfail,
        )
    except KeyboardInterrupt as exc:
        writer.line("interrupted: reports hold the cases that finished", "yellow", wrap=True)
        raise typer.Exit(getattr(exc, "exit_code", 130)) from None
    raise typer.Exit(0 if summary.ok else 1)


def _print_collection(plan: "Plan") -> None:
    """``--collect-only``: the case ids, one a line, then the count (pytest's words)."""
    from harness.cases import case_id

    for error in plan.load_errors:
        typer.echo(f"{error.id}  (does not load: {error.message})")
    for si, di in plan.cases:
        typer.echo(case_id(plan.scenarios[si], plan.devices[di]))
    deselected = f" ({plan.deselected} deselected)" if plan.deselected else ""
    typer.echo(f"{len(plan.cases)} case{'s' * (len(plan.cases) != 1)} collected{deselected}")


def _file_reports(junit: Path | None, html: Path | None) -> "list[Reporter]":
    """The ``--junit`` and ``--html`` reporters asked for; their modules (XML and HTML writing)
    are imported only then, which a run without them does not pay for."""
    from harness import report

    return [*([report.JUnitReporter(junit)] if junit else []), *([report.HtmlReporter(html)] if html else [])]


def _summary_writer(*reports: Path | None) -> "TerminalWriter":
    """Where the terminal summary goes: stderr when a report goes to standard output (``-``),
    which can carry one report only (two would be one unparseable stream)."""
    from harness.report.atomic import is_stdout
    from harness.report.terminal_writer import TerminalWriter

    on_stdout = [path for path in reports if path is not None and is_stdout(path)]
    if len(on_stdout) > 1:
        raise InputError("only one report can be written to standard output ('-')")
    return TerminalWriter(stderr=bool(on_stdout))


@app.command()
def inspect(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="Device source: capture:DIR, adb:HOST:PORT, adb-server:SERIAL, ios:UDID (ios: alone: the only one).",
        ),
    ],
    org: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Org file: needed to match the managementHint.")
    ] = None,
    adb_key: AdbKey = None,
    mdm: MdmFiles = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Say whether a device would count as managed, and what to fix if not."""
    import json

    from rich.console import Console

    from harness.inspect import inspect_device
    from harness.readers import read_source
    from simulator.verifier.orgfile import load_org

    org_obj = load_org(org)[0] if org else None
    device = read_source(source, options=_source_options(adb_key), mdm=mdm or ())
    result = inspect_device(device, org_obj, source=source)
    if json_output:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_inspection(Console(highlight=False, soft_wrap=True), result.to_json())
    raise typer.Exit({True: 0, False: 1, None: 2}[result.managed])


@app.command()
def capture(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE", help="Device source to record, e.g. adb:HOST:PORT, adb-server:SERIAL or ios:UDID."
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="DIR", help="New capture directory (must not exist or be empty).")
    ],
    adb_key: AdbKey = None,
    mdm: MdmFiles = None,
) -> None:
    """Read a device and write what it answered as a capture directory that capture:DIR replays."""
    from harness.readers import capture_redaction, read_device
    from harness.sources import open_source
    from harness.sources.mdm import load_mdm_files, with_mdm
    from harness.sources.recorder import Recorder

    exports = load_mdm_files(mdm or ())  # recorded as the mdm.* answers they stand for
    with Recorder(with_mdm(open_source(source, options=_source_options(adb_key)), exports)) as recorder:
        device = read_device(recorder)
    recorder.write(output, capture_redaction(device))
    typer.echo(
        f"captured {len(recorder.answers)} answers from {source} ({device.platform.value}, "
        f"{device.identity.model or 'unknown model'}) -> {output}"
    )


def _print_inspection(console: "Console", data: dict[str, object]) -> None:
    from rich.markup import escape

    from harness.inspect import config_lines, yes_no

    device = data["device"]
    verdict = data["verdict"]
    assert isinstance(device, dict) and isinstance(verdict, dict)
    console.print(
        f"[bold]{escape(str(device['model']))}[/] ({escape(str(device['manufacturer']))}), "
        f"{'Android' if device['platform'] == 'android' else 'iOS'} {escape(str(device['os_version']))}, "
        f"serial {escape(str(device['serial']))}"
    )
    if device.get("device_owner"):
        console.print(f"  device owner: {escape(str(device['device_owner']))} (fully managed)")
    for user in device.get("users", []):
        owner = f", profile owner {escape(user['profile_owner'])}" if user["profile_owner"] else ""
        state = (", paused" if user.get("paused") else "") + (", shell refused" if user.get("no_debugging") else "")
        console.print(f"  user {user['id']}: {escape(user['name'])} ({user['kind']}{state}{owner})")
    if "supervised" in device:
        console.print(f"  supervised: {yes_no(device['supervised'])}, MDM enrolled: {yes_no(device['mdm_enrolled'])}")
    by_origin: dict[str, list[str]] = {}
    for fact, origin in dict(device.get("facts_from", {})).items():
        by_origin.setdefault(str(origin), []).append(str(fact))
    for origin, facts in by_origin.items():
        console.print(f"  [dim]{escape(', '.join(facts))}: from {escape(origin)}[/]")
    copies = data["okta_verify"]
    assert isinstance(copies, list)
    if not copies:
        console.print("Okta Verify: [red]not installed[/]")
    for copy in copies:
        where = f"user {copy['user']} ({copy['profile']})" if copy["user"] is not None else "iOS app"
        console.print(
            f"Okta Verify: {where}, managed: {yes_no(copy['managed'])}, "
            f"managementHint: {escape(str(copy['management_hint'] or 'absent'))}"
        )
        if copy["config"]:
            console.print("  configuration:")
            for line in config_lines(copy["config"]):
                console.print(escape(line))
    managed = verdict["managed"]
    label = {True: "[green]MANAGED[/]", False: "[red]NOT MANAGED[/]", None: "[yellow]COULD NOT TELL[/]"}[managed]
    reason = f" ({verdict['reason']})" if verdict["reason"] else ""
    matched = f", matched {verdict['matched_config']}" if verdict["matched_config"] else ""
    console.print(f"Verdict: {label}{reason}{escape(matched)}")
    if verdict["fix"] and managed is False:
        console.print(f"  fix: {escape(str(verdict['fix']))}")
    findings = data["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        console.print(f"  {escape('[' + finding['severity'] + ']')} {finding['code']}: {escape(finding['message'])}")
    remediation = verdict["remediation"]
    if isinstance(remediation, dict):
        console.print(f"User sees: {escape(remediation['title'])} — {escape(remediation['message'])}")
    notes = data["notes"]
    assert isinstance(notes, list)
    for note in notes:
        console.print(f"[dim]note: {escape(note)}[/]")


@device_app.command("serve")
def device_serve(
    capture: Annotated[Path | None, typer.Option(help="Serve the Android device of this capture directory.")] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="Serve the Android device of this scenario, as its EMM provisioned it.")
    ] = None,
    listen: Annotated[str, typer.Option(help="HOST:PORT to listen on (port 0: the OS picks).")] = "127.0.0.1:0",
) -> None:
    """Serve a virtual Android phone over the ADB wire protocol until interrupted.

    Prints one line, ``serving adb:HOST:PORT``; then ``adb connect HOST:PORT`` or the
    ``adb:HOST:PORT`` source reach it.
    """
    import asyncio

    from harness.sources.transport import port_number
    from harness.virtual_phone import phone_from_capture, phone_from_scenario
    from simulator.adbd import AdbdServer

    if (capture is None) == (scenario is None):
        raise InputError("device serve: give exactly one of --capture DIR and --scenario FILE")
    host, sep, port = listen.rpartition(":")
    number = port_number(port)
    if not sep or not host or number is None:
        raise InputError("--listen: must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:5555")
    if capture is not None:
        phone = phone_from_capture(capture)
    else:
        assert scenario is not None
        phone = phone_from_scenario(scenario)
    server = AdbdServer(phone, host=host.strip("[]"), port=number)

    async def serve() -> None:
        try:
            await server.listen()
        except OSError as exc:
            raise InputError(f"--listen {listen}: cannot listen ({exc.strerror or exc})") from None
        typer.echo(f"serving adb:{server.spec}")
        await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@report_app.command("merge")
def report_merge(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="JSON reports of the shards.", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="Merged JSON report ('-': standard output).")
    ],
    junit: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write the merged JUnit XML report here.")
    ] = None,
    html: Annotated[Path | None, typer.Option(metavar="FILE", help="Also write the merged HTML grid here.")] = None,
    allow_partial: Annotated[
        bool, typer.Option("--allow-partial", help="Merge an incomplete set of shards (marked partial).")
    ] = False,
) -> None:
    """Merge the JSON reports of the shards of one run (same seed, catalog and shard count)."""
    from harness.report import JsonReporter, Reporter, merge_reports

    writer = _summary_writer(out, junit, html)
    reporters: list[Reporter] = [JsonReporter(out), *_file_reports(junit, html)]
    summary = merge_reports(list(files), reporters, allow_partial=allow_partial)
    partial = " (partial)" if summary.partial else ""
    writer.line(
        f"{summary.total} cases: {summary.passed} passed, {summary.failed} failed, "
        f"{summary.errors} errors, {summary.skipped} skipped{partial} -> {out}"
    )
    raise typer.Exit(0 if summary.ok else 1)


def _checked(name: str) -> Callable[[str], str]:
    """A typer callback running ``harness.org_edit.<name>`` (imported when the option is used,
    not at start-up); its ValueError becomes a usage error naming the option."""

    def callback(value: str) -> str:
        from harness import org_edit

        check: Callable[[str], str] = getattr(org_edit, name)
        try:
            return check(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def _checked_option(metavar: str, help_text: str, check: str) -> Any:
    """A required text option checked by ``harness.org_edit.<check>``."""
    return typer.Option(metavar=metavar, help=help_text, callback=_checked(check))


@org_app.command("add-platform")
def org_add_platform(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The org file to add the configuration to.")],
    platform: Annotated[PlatformChoice, typer.Option(help="The platform of the configuration.")],
    provider: Annotated[
        str,
        _checked_option(
            "TEXT", "Device management provider, shown to users of unmanaged devices (e.g. Jamf Pro).", "check_provider"
        ),
    ],
    enrollment_link: Annotated[
        str, _checked_option("URL", "https:// page where users of unmanaged devices enroll.", "check_enrollment_link")
    ],
) -> None:
    """Add an endpoint-management configuration (Okta's "Add platform"), with a new secret key."""
    from harness.org_edit import add_platform
    from simulator.device import Platform
    from simulator.secret import redact

    added = add_platform(file, Platform(platform.value), provider, enrollment_link)
    config = added.config
    typer.echo(f"added {config.platform.value} configuration {config.name} ({config.provider}) to {file}")
    typer.echo(
        f"secret key {redact(added.secret.reveal())}: written to {file} as {config.name}'s 'secret'; paste it in "
        "the EMM as the value of managementHint in Okta Verify's managed app configuration"
    )
    if added.comments_lost:
        typer.echo(f"note: {file} was rewritten from its values: its comments and layout could not be kept")
    if len(added.same_platform) > 1:
        earliest = added.same_platform[0]
        names = ", ".join(c.name for c in added.same_platform)
        accepted = (
            f"; with multiple_configs: earliest-only only {earliest.name}'s key makes a device managed"
            if added.earliest_only
            else ""
        )
        typer.echo(
            f"warning: {len(added.same_platform)} {config.platform.value} configurations ({names}): users of "
            f"unmanaged devices are sent to the earliest's enrollment page ({earliest.name}: {earliest.provider}, "
            f"{earliest.enrollment_link}), Okta's known issue{accepted}",
            err=True,
        )


def _take_debug(args: list[str]) -> bool:
    """Move ``--debug`` to the front wherever it was given (``attestlab run --debug`` works as
    ``attestlab --debug run``, as pytest and git accept their global flags); stop at ``--``."""
    end = args.index("--") if "--" in args else len(args)
    kept = [a for a in args[:end] if a != "--debug"]
    if len(kept) == end:
        return False
    args[:end] = ["--debug", *kept]
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "unexpected error"


@functools.cache
def _command() -> typer.core.TyperGroup:
    """The click command behind ``app``, built once a process. ``app(...)`` builds it again from
    the functions' signatures at every call (~25 ms of CPU): nothing to a user's one call, but
    a process that calls :func:`main` many times (the test suite, ~550 times) paid ~14 s of CPU
    for it. ``app`` has typer's pretty exceptions off, so calling the command is what calling
    ``app`` does."""
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)  # app has subcommands: typer makes a group
    return command


def main(argv: Sequence[str] | None = None) -> int:
    """The console entry point: parse ``argv`` (default ``sys.argv[1:]``), run, return the exit code.

    Usage errors (click's) and our errors (:class:`AttestlabError`) become one line on stderr and
    exit code 2; ``--debug`` adds the traceback and keeps the code. Anything else is a bug and
    propagates with its traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _take_debug(args)
    try:
        result = _command().main(args=args, prog_name="attestlab", standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors derive from it
        text = exc.format_message()
        if text.count("\n") > 1:  # ``no_args_is_help``: the message is the usage text itself
            print(text, file=sys.stderr)
        else:
            from harness.usage import usage_line

            line, see_help = usage_line(exc)
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None and see_help else ""
            print(f"attestlab: error: {line}{hint}", file=sys.stderr)
        return exc.exit_code
    except AttestlabError as exc:
        if debug:
            traceback.print_exc()
        print(f"attestlab: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    return result if isinstance(result, int) else 0


__all__ = ["InputError", "app", "main"]
