"""The journal on disk: durable lines, a torn last line tolerated, what is left of a run, the lock."""

from __future__ import annotations

from pathlib import Path

from conformance.data.journal import Journal, find_journals, journal_path, read_journal
from conformance.run.recovery import _in_use


def test_what_is_left_of_a_run_and_a_torn_last_line(tmp_path: Path) -> None:
    path = journal_path(tmp_path, "r1")
    journal = Journal(path, run_id="r1", base_url="http://127.0.0.1:1/v1", bundled=False)
    journal.create("alice")
    journal.created("alice", "c-1")
    journal.create("alice")  # no answer came
    journal.create("bob", app="other")
    journal.created("bob", "c-2", app="other")
    journal.deleted("bob", "c-2", app="other")
    journal.close()
    with path.open("ab") as handle:
        handle.write(b'{"event": "created", "app": "ma')  # the kill came mid-write
    state = read_journal(path)
    assert state.run_ids == ["r1"] and state.base_url == "http://127.0.0.1:1/v1" and not state.bundled
    assert list(state.entries()) == [("main", "alice", "c-1")]
    assert state.unanswered == {("main", "alice"): 1}
    assert state.users == [("main", "alice"), ("other", "bob")] and state.torn == 1
    assert find_journals(tmp_path) == [path]


def test_a_running_runs_journal_is_in_use(tmp_path: Path) -> None:
    journal = Journal(journal_path(tmp_path, "r2"), run_id="r2", base_url="http://x/v1", bundled=False)
    assert _in_use(journal.path)
    journal.close()
    assert not _in_use(journal.path)
    journal.remove()
    assert not find_journals(tmp_path)
