"""The crash-safe record of what a write-mode run made: ``REPORT_DIR/.journal-<run_id>.jsonl``.

A run that is killed (SIGKILL, a CI timeout, a lost machine) cannot delete its test data; its journal
says what there is to delete, for ``dify-conformance cleanup`` and for the next ``run`` with that
report directory (CONTRACT.md, Test data). One JSON object a line, each appended with one
``write`` (O_APPEND: the xdist workers of one run share the file), flushed and fsynced before the
request it announces is sent; a torn last line (the kill came mid-write) is skipped on reading.

The entries, each with ``"app"`` (``"main"``: the app of ``--api-key``; another name for a second
app, e.g. ``"other"`` for ``--other-api-key``, whose creates are deleted with that app's key):

- ``{"event": "run", "run_id": R, "base_url": URL, "bundled": false}``: first, once per process
  (never the key: the cleanup takes it from DIFY_API_KEY / --api-key). ``bundled``: the run's own
  reference server, whose data died with it.
- ``{"event": "create", "app": A, "user": U}``: before each create is sent (each attempt).
- ``{"event": "created", "app": A, "user": U, "conversation_id": C}``: as soon as its answer names C.
- ``{"event": "deleted", "app": A, "user": U, "conversation_id": C}``: after a confirmed delete.

What is left of a run: every ``created`` not ``deleted``, and for each user with more ``create``
than ``created`` entries, as many conversations listed for that user and not named in the journal
(all the conversations of the run's users are the run's own; the count keeps a target that ignores
the user filter from handing over someone else's).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MAIN_APP", "OTHER_APP", "Journal", "JournalState", "journal_path", "find_journals", "read_journal"]

MAIN_APP = "main"
OTHER_APP = "other"  # the app of --other-api-key (APP-01): its conversations are deleted with that key
_PREFIX, _SUFFIX = ".journal-", ".jsonl"


def journal_path(report_dir: Path, run_id: str) -> Path:
    return report_dir / f"{_PREFIX}{run_id}{_SUFFIX}"


def find_journals(report_dir: Path) -> list[Path]:
    """The journals of earlier runs in this report directory, oldest first."""
    if not report_dir.is_dir():
        return []
    return sorted(report_dir.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name))


class Journal:
    """Appends entries to one run's journal, each durable before the call returns."""

    def __init__(self, path: Path, *, run_id: str, base_url: str, bundled: bool) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        # Held while the run lives (a kill releases it): a cleanup never finishes a running run's journal.
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        self._append({"event": "run", "run_id": run_id, "base_url": base_url, "bundled": bundled})

    def _append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                return
            os.write(self._fd, line)  # one write of a whole line: O_APPEND keeps concurrent writers' apart
            os.fsync(self._fd)

    def create(self, user: str, app: str = MAIN_APP) -> None:
        self._append({"event": "create", "app": app, "user": user})

    def created(self, user: str, conversation_id: str, app: str = MAIN_APP) -> None:
        self._append({"event": "created", "app": app, "user": user, "conversation_id": conversation_id})

    def deleted(self, user: str, conversation_id: str, app: str = MAIN_APP) -> None:
        self._append({"event": "deleted", "app": app, "user": user, "conversation_id": conversation_id})

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def remove(self) -> None:
        """The cleanup finished: nothing is left for a later run to do."""
        self.close()
        self.path.unlink(missing_ok=True)


@dataclass
class JournalState:
    """What one journal says is left of its run."""

    path: Path
    run_ids: list[str] = field(default_factory=list)
    base_url: str | None = None
    bundled: bool = False
    live: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (app, user) -> created, not deleted
    unanswered: dict[tuple[str, str], int] = field(default_factory=dict)  # (app, user) -> creates with no id
    named: set[str] = field(default_factory=set)  # every conversation id the journal names
    torn: int = 0  # lines that could not be read (the last one, cut by the kill)

    @property
    def users(self) -> list[tuple[str, str]]:
        """Every (app, user) the journal names: all their conversations are the run's own."""
        return list(dict.fromkeys([*self.live, *self.unanswered]))

    def entries(self) -> Iterator[tuple[str, str, str]]:
        """(app, user, conversation) of every conversation created and never confirmed deleted."""
        for (app, user), ids in self.live.items():
            for cid in ids:
                yield app, user, cid


def read_journal(path: Path) -> JournalState:
    state = JournalState(path)
    sent: dict[tuple[str, str], int] = {}
    answered: dict[tuple[str, str], int] = {}
    with path.open("rb") as handle:
        for raw in handle:
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                state.torn += 1
                continue
            if not isinstance(entry, dict):
                state.torn += 1
                continue
            event = entry.get("event")
            if event == "run":
                state.run_ids.append(str(entry.get("run_id")))
                state.base_url = state.base_url or entry.get("base_url")
                state.bundled = state.bundled or bool(entry.get("bundled"))
                continue
            app, user, cid = str(entry.get("app") or MAIN_APP), entry.get("user"), entry.get("conversation_id")
            if not isinstance(user, str):
                state.torn += 1
                continue
            key = (app, user)
            if event == "create":
                sent[key] = sent.get(key, 0) + 1
                state.live.setdefault(key, [])
            elif event == "created" and isinstance(cid, str):
                answered[key] = answered.get(key, 0) + 1
                state.named.add(cid)
                if cid not in state.live.setdefault(key, []):
                    state.live[key].append(cid)
            elif event == "deleted" and isinstance(cid, str):
                state.named.add(cid)
                if cid in state.live.get(key, []):
                    state.live[key].remove(cid)
    state.unanswered = {k: n - answered.get(k, 0) for k, n in sent.items() if n > answered.get(k, 0)}
    return state
