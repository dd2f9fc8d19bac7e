"""Runs ``dify-conformance`` in this process with timing probes attached (benchmark helper, not a test).

    python benchmarks/suite_probe.py --probe-out PROBE.json [--keep-evidence DIR] [--cprofile FILE]
                                     [--no-waits] [--hypothesis-home DIR] -- run --base-url URL ...

Everything after ``--`` goes to ``conformance.cli.main`` unchanged, and the exit status is the
suite's. The probes wrap a few product functions from the outside (nothing in the product changes):

- ``Seeder._next_second``: each wait for the next whole second, as an interval (``--no-waits``
  skips the sleep: a counterfactual run whose data lacks distinct seconds, for wall time only);
- ``Seeder.run``: when the background seeding started and ended;
- ``RunState.dataset``: when a check blocked waiting for the seeding to finish (idle time);
- ``finish.finish_run``: how long the reports took, and a copy of the evidence log (JSON lines),
  which the product deletes at the end of every run.

``--hypothesis-home`` moves hypothesis' storage (its Unicode tables and constants caches, otherwise
rebuilt in every fresh working directory) to DIR: what a product change would do.

PROBE.json gets the intervals (epoch seconds), the process' CPU times, its main thread's CPU time,
and its peak RSS. ``--cprofile`` profiles the main thread (wall clock) into a pstats file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's conformance package

STARTED = time.time()
PROBE: dict[str, Any] = {"process_started": STARTED, "waits": [], "blocked": [], "seeding": None,
                         "finish": None, "evidence_kept": None}
_LOCK = threading.Lock()


def _attach(*, keep_evidence: Path | None, no_waits: bool) -> None:
    from conformance.data import seeding
    from conformance.run import finish, runstate

    next_second = seeding.Seeder._next_second
    seeder_run = seeding.Seeder.run
    state_dataset = runstate.RunState.dataset
    finish_run = finish.finish_run

    def probed_next_second(self: Any) -> None:
        begun = time.time()
        if no_waits:
            if self.stop.is_set():
                raise seeding.SeedingError("interrupted before the test data was complete")
        else:
            next_second(self)
        with _LOCK:
            PROBE["waits"].append([begun, time.time()])

    def probed_seeder_run(self: Any) -> Any:
        begun = time.time()
        try:
            return seeder_run(self)
        finally:
            PROBE["seeding"] = [begun, time.time()]

    def probed_dataset(self: Any) -> Any:
        pending = self.seeding is not None and not self.seeding.done()
        begun = time.time()
        try:
            return state_dataset(self)
        finally:
            if pending:
                with _LOCK:
                    PROBE["blocked"].append([begun, time.time(), threading.current_thread().name])

    def probed_finish_run(state: Any, **kwargs: Any) -> int:
        begun = time.time()
        if keep_evidence is not None and state.evidence_dir.is_dir():
            shutil.rmtree(keep_evidence, ignore_errors=True)
            shutil.copytree(state.evidence_dir, keep_evidence)
            PROBE["evidence_kept"] = str(keep_evidence)
        try:
            return finish_run(state, **kwargs)
        finally:
            PROBE["finish"] = [begun, time.time()]

    seeding.Seeder._next_second = probed_next_second  # type: ignore[method-assign]
    seeding.Seeder.run = probed_seeder_run  # type: ignore[method-assign]
    runstate.RunState.dataset = probed_dataset  # type: ignore[method-assign]
    finish.finish_run = probed_finish_run  # plugin.py imports it from the module at session end


def _trace_rss() -> None:
    """RSS samples (time, kB) in PROBE["rss"], and (time, node id) of every check's start in PROBE["checks"]."""
    from conformance.run import plugin

    PROBE["rss"], PROBE["checks"] = [], []
    setup = plugin.pytest_runtest_setup

    def pytest_runtest_setup(item: Any) -> None:  # same name and argument: pluggy registers it from conftest
        PROBE["checks"].append([time.time(), item.nodeid])
        setup(item)

    plugin.pytest_runtest_setup = pytest_runtest_setup

    def sample() -> None:
        status = Path(f"/proc/{os.getpid()}/status")
        while True:
            try:
                lines = status.read_text().splitlines()
                rss = next(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
            except (OSError, StopIteration, ValueError):
                return
            PROBE["rss"].append([time.time(), rss])
            time.sleep(0.02)

    threading.Thread(target=sample, name="probe-rss", daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-out", type=Path, required=True, help="where the probe JSON goes")
    parser.add_argument("--keep-evidence", type=Path, help="copy the evidence log here before it is deleted")
    parser.add_argument("--cprofile", type=Path, help="profile the main thread into this pstats file")
    parser.add_argument("--no-waits", action="store_true", help="do not sleep for distinct seconds")
    parser.add_argument("--trace-rss", action="store_true",
                        help="sample this process' RSS every 20 ms and note when each check starts")
    parser.add_argument("--hypothesis-home", type=Path,
                        help="hypothesis' storage directory (default: .hypothesis in the working directory)")
    parser.add_argument("suite_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    suite_args = args.suite_args[1:] if args.suite_args[:1] == ["--"] else args.suite_args

    _attach(keep_evidence=args.keep_evidence, no_waits=args.no_waits)
    if args.trace_rss:
        _trace_rss()
    if args.hypothesis_home:
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(args.hypothesis_home)
    from conformance.cli import main as suite_main

    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        status = suite_main(suite_args)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.cprofile))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    PROBE.update(
        process_ended=time.time(),
        exit_status=status,
        cpu_user_s=usage.ru_utime,
        cpu_sys_s=usage.ru_stime,
        main_thread_cpu_s=time.thread_time(),
        max_rss_kb=usage.ru_maxrss,
        pid=os.getpid(),
    )
    args.probe_out.write_text(json.dumps(PROBE, indent=1), encoding="utf-8")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
