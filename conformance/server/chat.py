"""``POST /chat-messages``: start a conversation or add a message to one, answered blocking or streaming.

There is no model behind it: the answer is a fixed sentence, the token counts small and plausible.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .body import bool_field, optional_string, read_json_object, required_user, string_field
from .dating import Dating
from .db import Database, conversation_name, owner_key
from .errors import invalid_param, not_found
from .faults import Faults
from .listing import UUID_PATTERN

__all__ = ["ChatHandler"]

ANSWER = "This is the dify-conformance reference server: there is no model behind it."


@dataclass(frozen=True, slots=True)
class _Answer:
    conversation_id: str
    message_id: str
    task_id: str
    created_at: int
    answer: str


def _usage(query: str, answer: str) -> dict[str, Any]:
    prompt, completion = 8 + len(query.split()), len(answer.split())
    return {"prompt_tokens": prompt, "prompt_unit_price": "0.001", "prompt_price_unit": "0.001",
            "prompt_price": f"{prompt * 0.000001:.7f}", "completion_tokens": completion,
            "completion_unit_price": "0.002", "completion_price_unit": "0.001",
            "completion_price": f"{completion * 0.000002:.7f}", "total_tokens": prompt + completion,
            "total_price": f"{prompt * 0.000001 + completion * 0.000002:.7f}", "currency": "USD",
            "latency": 0.01}


class ChatHandler:
    def __init__(self, db: Database, faults: Faults, dating: Dating | None = None) -> None:
        self.db = db
        self.dating = dating or Dating()
        self.touch = "update-not-touching" not in faults

    async def handle(self, request: Request, app_id: str) -> Response:
        body = await read_json_object(request)
        user = required_user(body)
        query = string_field(body, "query", self.db)
        mode = body.get("response_mode", "streaming")  # the spec's default
        if mode not in ("blocking", "streaming"):
            raise invalid_param("response_mode must be blocking or streaming.")
        inputs = body.get("inputs")
        inputs = {} if inputs is None else inputs
        if not isinstance(inputs, dict):
            raise invalid_param("inputs must be an object.")
        if body.get("files") is not None and not isinstance(body["files"], list):
            raise invalid_param("files must be a list.")
        auto_name = bool_field(body, "auto_generate_name", True)
        conversation_id = optional_string(body, "conversation_id", self.db) or None
        if conversation_id is not None and not UUID_PATTERN.fullmatch(conversation_id):
            raise invalid_param("conversation_id must be a UUID.")
        reply = await run_in_threadpool(self._store, app_id, user, query, inputs, conversation_id, auto_name)
        usage = _usage(query, reply.answer)
        if mode == "blocking":
            return JSONResponse({
                "event": "message", "task_id": reply.task_id, "id": reply.message_id,
                "message_id": reply.message_id, "conversation_id": reply.conversation_id,
                "mode": "advanced-chat", "answer": reply.answer, "metadata": {"usage": usage},
                "created_at": reply.created_at,
            })
        return StreamingResponse(_events(reply, usage), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def _store(self, app_id: str, user: str, query: str, inputs: dict[str, Any], conversation_id: str | None,
               auto_name: bool) -> _Answer:
        owner = owner_key(user)
        if conversation_id is None:
            name = conversation_name(query) if auto_name else "New conversation"
            row, message_id = self.db.create_conversation(app_id, owner, name, inputs, query, ANSWER,
                                                          self.dating.creation())
            now = row.created_at
        else:
            added = self.db.add_message(app_id, owner, conversation_id.lower(), query, ANSWER, int(time.time()),
                                        touch=self.touch, dated=self.dating.update)
            if added is None:
                raise not_found("Conversation Not Exists.")
            row, message_id = added
            now = int(time.time())
        return _Answer(row.id, message_id, str(uuid.uuid4()), now, ANSWER)


def _events(reply: _Answer, usage: dict[str, Any]) -> Iterator[str]:
    """The event stream of an advanced-chat app, every event naming the conversation and the message."""
    run_id, workflow_id = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"task_id": reply.task_id, "conversation_id": reply.conversation_id,
              "message_id": reply.message_id, "created_at": reply.created_at}
    started = {"id": run_id, "workflow_id": workflow_id, "sequence_number": 1, "created_at": reply.created_at}
    finished = {"id": run_id, "workflow_id": workflow_id, "status": "succeeded", "outputs": {"answer": reply.answer},
                "error": None, "elapsed_time": 0.01, "total_tokens": usage["total_tokens"], "total_steps": 3,
                "created_at": reply.created_at, "finished_at": int(time.time())}
    middle = len(reply.answer) // 2
    events: list[dict[str, Any]] = [
        {"event": "workflow_started", "workflow_run_id": run_id, **common, "data": started},
        {"event": "message", "id": reply.message_id, **common, "answer": reply.answer[:middle]},
        {"event": "message", "id": reply.message_id, **common, "answer": reply.answer[middle:]},
        {"event": "message_end", "id": reply.message_id, **common, "metadata": {"usage": usage}},
        {"event": "workflow_finished", "workflow_run_id": run_id, **common, "data": finished},
    ]
    for event in events:
        yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
