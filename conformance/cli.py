"""``dify-conformance``: run the suite, serve the reference, list the catalogue, verify a bundle.

Every user mistake ends in one line on stderr and a documented exit status (errors.py), never a
traceback. ``run`` hands over to pytest with the suite's own ini file, so a user's pytest settings
never change how the suite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import pluggy

from . import __version__
from .config.options import RUN_OPTIONS, add_options
from .errors import EXIT_FAIL, EXIT_PASS, EXIT_TARGET, EXIT_USAGE, ConformanceError
from .spec.catalogue import REQUIREMENTS

__all__ = ["main"]

_SUITE_DIR = Path(__file__).parent
# pytest's own usage errors (4) are ours (2); its other statuses are already the contract's.
_PYTEST_USAGE_ERROR = 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's default prints usage too)
        self.exit(EXIT_USAGE, f"dify-conformance: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dify-conformance", description="Conformance suite for Dify's GET /conversations API.")
    parser.add_argument("--version", action="version", version=f"dify-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="test a deployment (or the bundled reference server)",
                         description="Test a deployment; without --base-url, the bundled reference server.")
    add_options(run.add_argument)  # declared once, in options.py
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="-- PYTEST_ARGS",
                     help="passed to pytest, e.g. -- -n 2")

    _add_replay_parser(sub)

    sub.add_parser("serve", help="run the bundled reference server (dify-conformance serve --help)", add_help=False)

    requirements = sub.add_parser("requirements", help="print the requirement catalogue")
    requirements.add_argument("--json", action="store_true", help="as JSON")

    verify = sub.add_parser("verify", help="check a certification bundle")
    verify.add_argument("bundle", metavar="BUNDLE", help="path to certification.zip")
    _add_cleanup_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the server parses its own flags (argparse's REMAINDER drops leading ones)
        from .server.__main__ import main as serve_main

        return serve_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "requirements":
            return _requirements(as_json=args.json)
        if args.command == "verify":
            return _verify(Path(args.bundle))
        if args.command == "cleanup":
            return _cleanup(args)
    except ConformanceError as exc:
        print(f"dify-conformance: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:  # before the checks started (during preflight, say): nothing to report yet
        print("dify-conformance: interrupted", file=sys.stderr)
        return EXIT_TARGET
    _parser().print_help(sys.stderr)
    return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    """Settle everything a user can get wrong (exit 2) and the target (exit 3) before pytest starts."""
    from .config.settings import build_settings

    flags = {option.name: getattr(args, option.name) for option in RUN_OPTIONS}
    settings = build_settings(flags)
    extra = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return _run_settings(settings, extra)


def _run_settings(settings: Any, extra: list[str], *, baseline: Any = None) -> int:
    """``run`` from its settings on; ``baseline`` (a replay): only its checks, judged against it."""
    from datetime import UTC, datetime

    from .config.waivers import load_waivers
    from .data.dataset import TestUsers
    from .errors import TargetUnusable, UsageError
    from .run.finish import clear_reports, write_error_reports
    from .run.recovery import finish_killed_runs
    from .run.runstate import RunInputs, new_run_id, resolve_target
    from .spec.contract import load_contract

    contract = load_contract(settings.spec_path)
    if baseline is not None:
        from .run.replay import check_spec_unchanged

        check_spec_unchanged(baseline, contract.spec.path, contract.spec.sha256)
    waivers = load_waivers(settings.waivers_path) if settings.waivers_path else []
    _check_pytest_args(extra)
    earlier_runs = finish_killed_runs(settings).note()  # before anything else (CONTRACT.md, Test data)
    try:
        clear_reports(settings.report_dir)
    except OSError as exc:
        raise UsageError(f"cannot write the report directory {str(settings.report_dir)!r}: "
                         f"{exc.strerror or exc}") from None
    run_id, started_at = new_run_id(), datetime.now(UTC)
    users = TestUsers.read_only(settings.user) if settings.read_only and settings.user else TestUsers.for_run(run_id)
    interrupt = _catch_interrupts()
    try:
        target = resolve_target(settings, contract, users.probes[0] if users.probes else users.main)
    except TargetUnusable as exc:
        write_error_reports(settings, contract, waivers, run_id=run_id, started_at=started_at, reason=str(exc))
        raise
    try:
        inputs = RunInputs(settings, contract, waivers, run_id, started_at, target, interrupt, baseline=baseline,
                           earlier_runs=earlier_runs)
        paths = [str(_SUITE_DIR / check) for check in baseline.checks] if baseline is not None else None
        return _pytest_main(extra, inputs, paths)
    finally:
        target.close()


def _pytest_main(extra: list[str], inputs: object, paths: list[str] | None = None) -> int:
    """The suite under pytest, with the suite's own ini file: a user's pytest settings never change how
    it runs. The settings go in as an object (``inputs``), never as argv or environment."""
    import pytest

    # Hypothesis keeps its caches (the Unicode tables, rebuilt at a cost of seconds and ~200 MB) in
    # one place per user, not in a .hypothesis folder wherever the suite happens to run.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(_cache_dir() / "hypothesis"))
    # pytest's own closing sections (failures with install paths) give way to the verdict block.
    pytest_args = [*(paths or [str(_SUITE_DIR)]), "-c", str(_SUITE_DIR / "pytest.ini"), "--rootdir", str(_SUITE_DIR),
                   "--no-summary"]
    status = int(pytest.main([*pytest_args, *extra], plugins=[inputs, _PytestUsageErrors()]))
    return EXIT_USAGE if status == _PYTEST_USAGE_ERROR else status


class _PytestUsageErrors:
    """pytest's complaint about the arguments after ``--`` in one line of ours, not its usage text."""

    @pluggy.HookimplMarker("pytest")(wrapper=True)  # pytest.hookimpl, without importing pytest here
    def pytest_cmdline_parse(self) -> Any:
        import pytest

        try:
            return (yield)
        except pytest.UsageError as exc:
            lines = [line for arg in exc.args for line in str(arg).splitlines() if line.strip()]
            why = next((line.split("error: ", 1)[1] for line in lines if "error: " in line), " ".join(lines))
            print(f"dify-conformance: error: pytest arguments after --: {why} (see pytest --help)", file=sys.stderr)
            raise pytest.UsageError() from None  # nothing more for pytest to print


_PARALLEL_FLAGS = ("-n", "--numprocesses", "--dist", "-d", "--tx", "--maxprocesses")


def _check_pytest_args(extra: list[str]) -> None:
    """What can be told before pytest starts: a parallel run without pytest-xdist (one line, exit 2)."""
    from importlib.util import find_spec

    from .errors import UsageError

    wants_xdist = any(a in _PARALLEL_FLAGS or a.startswith(("-n", "--numprocesses=", "--dist=")) for a in extra)
    if wants_xdist and find_spec("xdist") is None:
        raise UsageError("parallel runs (-- -n N) need pytest-xdist: pip install pytest-xdist")


def _catch_interrupts() -> threading.Event:
    """Ctrl-C, and SIGTERM from a CI cancellation, stop the checks: the run still deletes its test data.

    The event stays set even where Python swallows the KeyboardInterrupt (raised inside a garbage
    collector callback, say), so the plugin stops the session at the next check all the same.
    """
    interrupt = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        interrupt.set()
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where a parent made us ignore it
        signal.signal(signal.SIGINT, on_signal)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, on_signal)
    return interrupt


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dify-conformance"


# -- replay: re-run what failed in an earlier run (conformance/run/replay.py) ------------------------------

def _add_replay_parser(sub: Any) -> None:
    replay = sub.add_parser("replay", help="re-run only the checks that failed in an earlier run",
                            description="Re-run, with the same spec, profile, seed and options, only the checks "
                                        "that failed in the run whose reports are in REPORT_DIR; say of each "
                                        "requirement that failed there whether it is FIXED or STILL FAILING, and "
                                        "of any that fails now and did not then that it is NEW.")
    replay.add_argument("from_dir", nargs="?", default="reports", metavar="REPORT_DIR",
                        help="the earlier run's report directory (default: reports/)")
    replay.add_argument("--base-url", dest="base_url", default=None, metavar="URL",
                        help="test this target instead of that run's (the API keys come from DIFY_API_KEY and "
                             "DIFY_OTHER_API_KEY as for run)")
    replay.add_argument("--report-dir", dest="report_dir", default=None, metavar="DIR",
                        help="where the replay's reports go (default: REPORT_DIR/replay/)")


def _replay(args: argparse.Namespace) -> int:
    import tempfile

    from .config.settings import build_settings
    from .errors import UsageError
    from .run.replay import load_baseline, replay_flags

    baseline = load_baseline(Path(args.from_dir))
    if not baseline.checks:  # a run that passed: nothing failed there, nothing to re-run
        if baseline.failed:
            raise UsageError(f"the run in {args.from_dir!r} failed {', '.join(baseline.failed)} but records no "
                             "check that failed: nothing to re-run")
        print(f"dify-conformance replay of run {baseline.run_id} ({args.from_dir}): nothing failed there, "
              "nothing to re-run")
        return EXIT_PASS
    flags = replay_flags(baseline, base_url=args.base_url, report_dir=args.report_dir)
    keys = {o.env: os.environ[o.env] for o in RUN_OPTIONS if not o.in_files and o.env and os.environ.get(o.env)}
    if flags["base_url"] and baseline.options.get("other_api_key_given") and "DIFY_OTHER_API_KEY" not in keys:
        raise UsageError("that run had a second app's key (--other-api-key): set DIFY_OTHER_API_KEY for the replay")
    # That run's options only: no config file or environment variable of this shell changes them (keys aside).
    with tempfile.TemporaryDirectory(prefix="dify-conformance-replay-") as nowhere:
        settings = build_settings(flags, environ=keys, cwd=Path(nowhere))
    return _run_settings(settings, [], baseline=baseline)


def _requirements(*, as_json: bool) -> int:
    from .spec.registry import checks_serving

    if as_json:  # with the checks that serve each requirement (conformance/spec/registry.py)
        print(json.dumps([{"id": r.id, "level": r.level.value, "title": r.title,
                           "checks": [c.key for c in checks_serving(r.id)]} for r in REQUIREMENTS], indent=2))
        return EXIT_PASS
    for r in REQUIREMENTS:
        print(f"{r.id:10} {r.level.value:6} {r.title}")
    return EXIT_PASS


def _verify(path: Path) -> int:
    from .reports.bundle import verify_bundle

    if not path.is_file():
        print(f"dify-conformance: error: no bundle at {str(path)!r}", file=sys.stderr)
        return EXIT_USAGE
    ok, reason = verify_bundle(path)
    print(reason)
    return EXIT_PASS if ok else EXIT_FAIL


# -- cleanup: a killed run's test data, from its journal (recovery.py) ----------------------------


_CLEANUP_OPTIONS = ("report_dir", "api_key", "other_api_key", "timeout", "ca_bundle", "insecure")


def _add_cleanup_parser(sub: Any) -> None:
    cleanup = sub.add_parser("cleanup", help="finish the cleanup of a killed run from its journal",
                             description="Delete the test data a killed run left, as its journal in the report "
                                         "directory lists it. The key: DIFY_API_KEY (preferred) or --api-key; "
                                         "the second app's (APP-01) DIFY_OTHER_API_KEY or --other-api-key.")
    for option in RUN_OPTIONS:  # the run's own declarations of the few options cleanup takes
        if option.name in _CLEANUP_OPTIONS:
            cleanup.add_argument(option.flag, **option.argparse_kwargs())


def _cleanup(args: argparse.Namespace) -> int:
    from .config.settings import build_settings
    from .run.recovery import recover_journals

    settings = build_settings({name: getattr(args, name, None) for name in _CLEANUP_OPTIONS})
    from .data.journal import OTHER_APP

    other = {OTHER_APP: settings.other_api_key} if settings.other_api_key else {}
    result = recover_journals(settings.report_dir, base_url=None, api_key=settings.api_key,
                              timeout_s=settings.timeout_s, verify=settings.verify, for_run=False, other_keys=other)
    for line in result.lines or [f"no journal of a killed run in {settings.report_dir}: nothing to clean up"]:
        print(line)
    for failure in result.failures:
        print(f"  not deleted: {failure}")
    if result.unusable:
        return EXIT_TARGET
    return EXIT_FAIL if result.failures else EXIT_PASS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
