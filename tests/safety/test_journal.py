"""A run leaves nothing behind, even killed with SIGKILL: the journal, ``cleanup``, a later run's
clean-up of a killed run, 404 leftovers reported, and two runs at once against one target.

Real processes: a reference server the test started (so it outlives the killed run, which is
given its explicit --base-url), and the CLI in subprocesses. "Nothing left" is checked twice:
by listing, straight against the server, every user the journal names, and in the server's own
database (no live conversation at all).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from conformance.data.journal import find_journals, read_journal
from conformance.server.process import ReferenceServer
from tests.selftest.conftest import SELFTEST_KEY, SuiteRun
from tests.server_client import ServerClient

RUN_TIMEOUT = 300.0
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
QUICK = ("--", "-k", "test_generated")  # checks that need no data: the seeding still runs in the background


def _environ() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    environ["DIFY_API_KEY"] = SELFTEST_KEY
    return environ


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", *args]


def _run(report_dir: Path, *args: str) -> SuiteRun:
    done = subprocess.run(_command("run", "--report-dir", str(report_dir), *args), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, env=_environ(), cwd=report_dir.parent)
    return SuiteRun(done.returncode, done.stdout, done.stderr, report_dir)


def _server(tmp_path: Path, *faults: str) -> ReferenceServer:
    return ReferenceServer(api_keys=[SELFTEST_KEY], faults=faults, db_url=f"sqlite:///{tmp_path / 'target.db'}")


def _live_rows(tmp_path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'target.db'}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM conversations WHERE NOT is_deleted"))
                       .scalar_one())
    finally:
        engine.dispose()


def _listed(server: ReferenceServer, users: list[str]) -> dict[str, list[str]]:
    with ServerClient(server.base_url, SELFTEST_KEY) as client:
        return {user: [item["id"] for page in client.walk(user) for item in page["data"]] for user in users}


def _kill_while_seeding(report_dir: Path, server: ReferenceServer) -> Path:
    """Start a run, SIGKILL it once its journal shows 10 answered creates; the journal it leaves."""
    process = subprocess.Popen(_command("run", "--report-dir", str(report_dir), "--base-url", server.base_url,
                                        *QUICK), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=_environ(), cwd=report_dir.parent)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            journals = find_journals(report_dir)
            if journals and journals[0].read_text(encoding="utf-8").count('"event": "created"') >= 10:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the run ended before it could be killed mid-seeding"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    (journal,) = find_journals(report_dir)
    return journal


def test_a_run_killed_while_seeding_is_cleaned_up_by_cleanup(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _server(tmp_path) as server:
        journal = _kill_while_seeding(report_dir, server)
        state = read_journal(journal)
        users = [user for _, user in state.users]
        before = _listed(server, users)
        assert state.base_url == server.base_url and not state.bundled
        assert sum(map(len, before.values())) >= 10, before  # the killed run did leave data behind
        assert SELFTEST_KEY not in journal.read_text(encoding="utf-8")  # the base URL, never the key

        done = subprocess.run(_command("cleanup", "--report-dir", str(report_dir)), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, env=_environ(), cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "killed before its cleanup: deleted" in done.stdout, done.stdout
        assert not find_journals(report_dir)
        assert _listed(server, users) == {user: [] for user in users}
        assert _live_rows(tmp_path) == 0

        again = subprocess.run(_command("cleanup", "--report-dir", str(report_dir)), capture_output=True,
                               text=True, timeout=RUN_TIMEOUT, env=_environ(), cwd=tmp_path)
        assert again.returncode == 0 and "nothing to clean up" in again.stdout, again.stdout + again.stderr


def test_cleanup_without_a_key_says_which_one_it_needs(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _server(tmp_path) as server:
        _kill_while_seeding(report_dir, server)
        environ = {k: v for k, v in _environ().items() if k != "DIFY_API_KEY"}
        done = subprocess.run(_command("cleanup", "--report-dir", str(report_dir)), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, env=environ, cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "DIFY_API_KEY" in done.stderr and server.base_url in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert find_journals(report_dir)  # nothing was done: the journal stays for a try with the key


def test_a_later_run_cleans_up_a_killed_run_before_it_starts(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _server(tmp_path) as server:
        state = read_journal(_kill_while_seeding(report_dir, server))
        users = [user for _, user in state.users]
        assert any(_listed(server, users).values())
        later = _run(report_dir, "--base-url", server.base_url, *QUICK)
        assert "killed before its cleanup: deleted" in later.stderr, later.explain()
        assert (report_dir / "summary.json").is_file(), later.explain()
        assert later.summary["notes"]["earlier_runs"]["failures"] == [], later.summary["notes"]
        assert any(f"run {state.run_ids[0]} was killed" in line
                   for line in later.summary["notes"]["earlier_runs"]["done"]), later.summary["notes"]
        assert _listed(server, users) == {user: [] for user in users}
        assert not find_journals(report_dir)  # the killed run's, and the later run's own once it cleaned up
        assert _live_rows(tmp_path) == 0


def test_unanswered_creates_are_found_for_every_user_the_journal_names(tmp_path: Path) -> None:
    """A create with no answer in the journal: as many of that user's listed conversations as went
    unanswered, whoever the user (not only the main one), and nothing of anyone else."""
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    owner, other = "dify-conformance-cafe0001-zo\u00eb-\u5c71\u7530", "someone-else"
    with _server(tmp_path) as server, ServerClient(server.base_url, SELFTEST_KEY) as client:
        answered = client.create(owner)["conversation_id"]
        for _ in range(2):  # made, but their answers never reached the journal
            client.create(owner)
        bystander = client.create(other)["conversation_id"]
        lines = [{"event": "run", "run_id": "cafe0001", "base_url": server.base_url, "bundled": False},
                 *({"event": "create", "app": "main", "user": owner} for _ in range(3)),
                 {"event": "created", "app": "main", "user": owner, "conversation_id": answered}]
        (report_dir / ".journal-cafe0001.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        done = subprocess.run(_command("cleanup", "--report-dir", str(report_dir)), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, env=_environ(), cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "deleted 3 conversation(s)" in done.stdout, done.stdout
        assert _listed(server, [owner, other]) == {owner: [], other: [bystander]}
        assert not find_journals(report_dir)


def _killed_runs_journal(tmp_path: Path, run_id: str, base_url: str, *, bundled: bool,
                         torn_tail: str = "") -> tuple[Path, Path, list[dict[str, object]]]:
    """A report directory holding the journal a killed run left: one create sent, never answered."""
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    journal = report_dir / f".journal-{run_id}.jsonl"
    lines: list[dict[str, object]] = [
        {"event": "run", "run_id": run_id, "base_url": base_url, "bundled": bundled},
        {"event": "create", "app": "main", "user": f"dify-conformance-{run_id}-alice"}]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines) + torn_tail, encoding="utf-8")
    return report_dir, journal, lines


def _cleanup(tmp_path: Path, report_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command("cleanup", "--report-dir", str(report_dir), *args), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, env=_environ(), cwd=tmp_path)


def test_a_bundled_runs_journal_is_dropped_with_its_reason(tmp_path: Path) -> None:
    report_dir, journal, lines = _killed_runs_journal(tmp_path, "deadbeef", "http://127.0.0.1:9", bundled=True,
                                                      torn_tail='{"event": "crea')
    done = _cleanup(tmp_path, report_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "died with that server" in done.stdout and not journal.exists(), done.stdout
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    bundled = _run(report_dir, *QUICK)  # a bundled run of its own says so too, and drops it
    assert "died with that server" in bundled.stderr and not journal.exists(), bundled.explain()
    assert any("died with that server" in line for line in bundled.summary["notes"]["earlier_runs"]["done"])


def test_deletes_answered_404_are_reported_exactly(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _server(tmp_path, "delete-404-kept") as server:
        run = _run(report_dir, "--base-url", server.base_url, "--", "-k", "test_generated or test_data")
        assert (report_dir / "summary.json").is_file(), run.explain()
        failures = run.summary["notes"]["cleanup_failed"]["failures"]
        reported = {UUID.search(line).group(0) for line in failures}  # type: ignore[union-attr]
        assert all("answered 404 although this run created it" in line for line in failures), failures
        with ServerClient(server.base_url, SELFTEST_KEY) as client:
            # What is left on the target: the run's own users are the only ones it has.
            engine = sa.create_engine(f"sqlite:///{tmp_path / 'target.db'}")
            with engine.connect() as connection:
                left = {row[0] for row in connection.execute(
                    sa.text("SELECT id FROM conversations WHERE NOT is_deleted"))}
            engine.dispose()
            assert client.page(user=f"dify-conformance-{run.summary['run_id']}-alice")["data"]
        assert len(reported) >= 3 and reported == left, (sorted(reported), sorted(left))
        assert "could not be deleted" in run.stdout  # and on the terminal
        assert not find_journals(report_dir)  # a 404 is final: no later try through the API can do more


def test_two_runs_started_at_once_against_one_target_both_pass_and_leave_nothing(tmp_path: Path) -> None:
    with _server(tmp_path) as server:
        dirs = [tmp_path / "a" / "reports", tmp_path / "b" / "reports"]
        for directory in dirs:
            directory.parent.mkdir()
        processes = [subprocess.Popen(_command("run", "--report-dir", str(d), "--base-url", server.base_url),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environ(),
                                      cwd=d.parent) for d in dirs]
        runs = []
        for process, directory in zip(processes, dirs, strict=True):
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
            runs.append(SuiteRun(process.returncode, stdout, stderr, directory))
        for run in runs:
            assert run.exit_code == 0 and run.summary["verdict"] == "pass", run.explain()
            assert "cleanup_failed" not in run.summary["notes"], run.summary["notes"]
            assert not find_journals(run.report_dir)
        assert runs[0].summary["run_id"] != runs[1].summary["run_id"]
        assert _live_rows(tmp_path) == 0


def test_cleanup_of_an_unreachable_target_is_exit_3_and_keeps_the_journal(tmp_path: Path) -> None:
    report_dir, journal, _ = _killed_runs_journal(tmp_path, "0badf00d", "http://127.0.0.1:9/v1", bundled=False)
    done = _cleanup(tmp_path, report_dir, "--timeout", "2")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot reach http://127.0.0.1:9/v1" in done.stdout and journal.exists(), done.stdout
    assert SELFTEST_KEY not in done.stdout + done.stderr


def test_a_read_only_run_leaves_a_killed_runs_journal_for_cleanup(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with _server(tmp_path) as server:
        journal = _kill_while_seeding(report_dir, server)
        users = [user for _, user in read_journal(journal).users]
        before = _listed(server, users)
        main = next(user for user in users if user.endswith("-alice"))
        later = _run(report_dir, "--base-url", server.base_url, "--read-only", "--user", main, *QUICK)
        assert "a read-only run deletes nothing" in later.stderr, later.explain()
        assert journal.exists() and _listed(server, users) == before
