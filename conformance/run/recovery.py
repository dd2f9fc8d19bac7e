"""Finishing the cleanup of killed runs from their journals (journal.py): ``dify-conformance cleanup``,
and the first thing every ``run`` does with its report directory.

A journal names its target's base URL, never its key: the key is this invocation's (DIFY_API_KEY or
--api-key). A run only finishes journals of its own target, so a key is never sent to another host
than the one it was given for; ``cleanup`` finishes them all, naming each target it contacts.
A journal of a run that used the bundled reference server names a server that ended with that run:
its data died with it, and the journal is dropped.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.journal import MAIN_APP, OTHER_APP, JournalState, find_journals, read_journal
from ..data.leftovers import finish_journal
from ..errors import TargetUnusable, UsageError
from ..http.api import ServiceApi
from ..http.client import ClientSettings, HttpClient

__all__ = ["Recovery", "recover_journals", "finish_killed_runs", "BUNDLED"]

BUNDLED = None  # the base URL of a run that starts the bundled reference server


@dataclass
class Recovery:
    lines: list[str] = field(default_factory=list)  # what was done, for the terminal
    failures: list[str] = field(default_factory=list)  # what could not be deleted
    unusable: list[str] = field(default_factory=list)  # targets that could not be used at all

    def note(self) -> dict[str, Any] | None:
        """``notes.earlier_runs`` of the run that did this first, or None if there was nothing to do."""
        if not (self.lines or self.failures):
            return None
        return {"done": self.lines, "failures": self.failures}


def _in_use(path: Path) -> bool:
    """A running run holds its journal locked (journal.py): it is that run's to finish, not ours."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases the lock
    return False


def _same_target(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def recover_journals(report_dir: Path, *, base_url: str | None, api_key: str | None, timeout_s: float,
                     verify: bool | str, for_run: bool, probe_user: str = "dify-conformance-cleanup",
                     other_keys: dict[str, str] | None = None,
                     connect: Callable[[ClientSettings], HttpClient] = HttpClient) -> Recovery:
    """Finish every journal of a killed run in ``report_dir``. ``for_run``: the start of a run whose
    target is ``base_url`` (BUNDLED: its own reference server): only journals of that target are
    finished, the others are left for ``cleanup``. UsageError when a journal needs a key and none is
    given (``cleanup`` only)."""
    result = Recovery()
    for path in find_journals(report_dir):
        if _in_use(path):
            continue
        try:
            state = read_journal(path)
        except OSError as exc:
            result.lines.append(f"{path.name} could not be read ({exc.strerror or exc}): left as it is")
            continue
        name = f"run {state.run_ids[0] if state.run_ids else path.stem}"
        if state.bundled or state.base_url is None:
            path.unlink(missing_ok=True)
            result.lines.append(f"{name} used the bundled reference server, which ended with it: its test data "
                                "died with that server; its journal is dropped")
            continue
        if for_run and (base_url is BUNDLED or not _same_target(state.base_url, base_url)):
            result.lines.append(f"{name} was killed before its cleanup, on another target ({state.base_url}): "
                                "left for `dify-conformance cleanup` with that target's key")
            continue
        if not api_key:
            if for_run:
                continue  # the run's own preflight says the key is missing
            raise UsageError(f"{path.name} lists test data on {state.base_url}: set DIFY_API_KEY (or pass "
                             "--api-key) to that app's key to delete it")
        _finish(path, state, name, api_key, other_keys or {}, timeout_s, verify, probe_user, connect, result)
    return result


def _finish(path: Path, state: JournalState, name: str, api_key: str, other_keys: dict[str, str],
            timeout_s: float, verify: bool | str, probe_user: str, connect: Callable[[ClientSettings], HttpClient],
            result: Recovery) -> None:
    from .runstate import preflight

    assert state.base_url is not None
    keys = {MAIN_APP: api_key, **other_keys}
    clients = {app: connect(ClientSettings(base_url=state.base_url, api_key=key, timeout_s=timeout_s, verify=verify))
               for app, key in keys.items()}
    try:
        apis = {app: ServiceApi(http) for app, http in clients.items()}
        try:
            preflight(apis[MAIN_APP], probe_user, key_given=True)
        except TargetUnusable as exc:
            result.unusable.append(f"{name}: {exc}")
            result.lines.append(f"{name}: its test data on {state.base_url} is not deleted: {exc}; the journal "
                                f"stays ({path.name})")
            return
        left = finish_journal(state, apis)
    finally:
        for http in clients.values():
            http.close()
    users = len(state.users)
    result.lines.append(f"{name} was killed before its cleanup: deleted {left.deleted} conversation(s) of its "
                        f"{users} user(s) on {state.base_url}" + (f"; {len(left.failures)} could not be deleted"
                                                                   if left.failures else ""))
    result.failures += [f"{name}: {line}" for line in left.failures]
    if left.retryable:
        result.lines.append(f"{name}: the journal stays ({path.name}): a later cleanup may still delete "
                            f"{left.retryable} of them")
    else:
        path.unlink(missing_ok=True)


def finish_killed_runs(settings: Any) -> Recovery:
    """A run's first step: the journals killed runs left in its report directory, for its target; what
    was done and what could not be deleted go to stderr (the run's own reports are not written yet)."""
    if settings.read_only:  # it sends nothing but GET /conversations: the journals wait for cleanup
        journals = find_journals(settings.report_dir)
        result = Recovery([f"{len(journals)} journal(s) of killed runs left for `dify-conformance cleanup`: a "
                           "read-only run deletes nothing"] if journals else [])
    else:
        other = {OTHER_APP: settings.other_api_key} if getattr(settings, "other_api_key", None) else {}
        result = recover_journals(settings.report_dir, base_url=settings.base_url, api_key=settings.api_key,
                                  timeout_s=settings.timeout_s, verify=settings.verify, for_run=True,
                                  other_keys=other)
    for line in result.lines:
        print(f"dify-conformance: {line}", file=sys.stderr)
    for failure in result.failures:
        print(f"dify-conformance:   not deleted: {failure}", file=sys.stderr)
    return result
