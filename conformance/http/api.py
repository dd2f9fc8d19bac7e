"""Dify's Service API as the suite uses it: the list under test and the documented writes for test data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, TypedDict
from urllib.parse import quote

from ..model.exchange import Exchange
from ..spec.contract import LIST_OPERATION, ListOperation
from .client import KEY, Auth, HttpClient
from .limits import open_tallies

__all__ = ["ServiceApi", "ListParams", "conversation_id_of", "JOB_HALT", "HALTED"]

HALTED = "not sent: the run is being stopped"


# The executor's halt for the check running in this context (None outside checks): once it says so,
# the check's requests are not sent (interrupted, or the run is ending), and count as refused.
JOB_HALT: ContextVar[Callable[[], bool] | None] = ContextVar("dify_conformance_job_halt", default=None)


class ListParams(TypedDict, total=False):
    """The query parameters of :meth:`ServiceApi.list`, for checks that build a request before sending it."""

    user: str | None
    limit: int | str | None
    sort_by: str | None
    last_id: str | None


class ServiceApi:
    """The list under test (``operation``, from the contract) and the documented writes for test data."""

    def __init__(self, http: HttpClient, operation: ListOperation = LIST_OPERATION) -> None:
        self.http = http
        self.operation = operation

    def _send(self, method: str, path: str, **request: Any) -> Exchange:
        """Every request of the API goes here: once the executor halts the check running in this context,
        nothing more is sent for it (counted as refused in the client's tallies)."""
        halted = JOB_HALT.get()
        if halted is not None and halted():
            for tally in open_tallies(self.http):
                tally.count_refused("interrupted", HALTED)
            return Exchange(kind=request.get("kind", "other"), method=method,
                            base_url=self.http.redact(self.http.settings.base_url.rstrip("/")),
                            path=self.http.redact(path),
                            params=tuple((self.http.redact(k), self.http.redact(v))
                                         for k, v in request.get("params", ())),
                            started_at=time.time(), error=HALTED, attempts=0)
        return self.http.send(method, path, **request)

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | str | None = None,
        sort_by: str | None = None,
        last_id: str | None = None,
        auth: Auth = KEY,
        kind: str = "list",
    ) -> Exchange:
        """The list under test (GET /conversations); a parameter left None is not sent at all."""
        op = self.operation
        params = [
            (name, str(value))
            for name, value in ((op.user, user), (op.cursor, last_id), (op.limit, limit), (op.sort, sort_by))
            if value is not None
        ]
        return self._send(op.method, op.path, params=params, auth=auth, kind=kind)

    def list_raw(self, params: Sequence[tuple[str, str]], *, auth: Auth = KEY, kind: str = "list") -> Exchange:
        return self._send(self.operation.method, self.operation.path, params=params, auth=auth, kind=kind)

    def create_conversation(self, user: str, query: str) -> Exchange:
        """POST /chat-messages without conversation_id: a new conversation (blocking mode). Not named in the
        background (``auto_generate_name: false``): Dify's renaming would be a write the run did not make."""
        body = {"inputs": {}, "query": query, "response_mode": "blocking", "user": user,
                "auto_generate_name": False}
        return self._send("POST", "/chat-messages", json_body=body, kind="create")

    def create_conversation_streaming(self, user: str, query: str) -> Exchange:
        """POST /chat-messages in streaming mode: a new conversation, answered as an event stream."""
        body = {"inputs": {}, "query": query, "response_mode": "streaming", "user": user,
                "auto_generate_name": False}
        return self._send("POST", "/chat-messages", json_body=body, kind="create")

    def send_message(self, user: str, conversation_id: str, query: str) -> Exchange:
        body = {"inputs": {}, "query": query, "response_mode": "blocking", "user": user,
                "conversation_id": conversation_id}
        return self._send("POST", "/chat-messages", json_body=body, kind="message")

    def rename(self, user: str, conversation_id: str, name: str) -> Exchange:
        body = {"name": name, "auto_generate": False, "user": user}
        return self._send("POST", f"/conversations/{quote(conversation_id, safe='')}/name", json_body=body,
                              kind="rename")

    def delete(self, user: str, conversation_id: str) -> Exchange:
        return self._send("DELETE", f"/conversations/{quote(conversation_id, safe='')}",
                              json_body={"user": user}, kind="delete")


def conversation_id_of(exchange: Exchange) -> str | None:
    """The conversation a 200 answer to POST /chat-messages names: the JSON body's ``conversation_id``
    (blocking), or the first ``data:`` event that carries one (streaming, server-sent events)."""
    if exchange.status_code != 200:
        return None
    body = exchange.json_or_none()
    if isinstance(body, dict):
        found = body.get("conversation_id")
        return found if isinstance(found, str) and found else None
    for line in exchange.text.splitlines():
        if not line.startswith("data:"):
            continue
        try:
            event = json.loads(line[5:].strip())
        except ValueError:
            continue
        found = event.get("conversation_id") if isinstance(event, dict) else None
        if isinstance(found, str) and found:
            return found
    return None
