"""``POST /conversations/{id}/name`` and ``DELETE /conversations/{id}``: only the owner's live
conversations can be renamed or deleted; anything else is Dify's 404 "Conversation Not Exists."."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .body import bool_field, optional_string, read_json_object, required_user
from .dating import Dating
from .db import Database, owner_key
from .errors import invalid_param, not_found
from .faults import Faults
from .listing import UUID_PATTERN, render_item

__all__ = ["ConversationHandler"]


def _conversation_id(request: Request) -> str:
    raw = str(request.path_params["conversation_id"])
    if not UUID_PATTERN.fullmatch(raw):  # Dify routes only UUIDs here: anything else names nothing
        raise not_found()
    return raw.lower()


class ConversationHandler:
    def __init__(self, db: Database, faults: Faults, dating: Dating | None = None) -> None:
        self.db = db
        self.dating = dating or Dating()
        self.touch = "update-not-touching" not in faults
        self.touch_on_rename = self.touch and "rename-not-touching" not in faults
        self.lose_deletes = "delete-404-kept" in faults

    async def rename(self, request: Request, app_id: str) -> Response:
        body = await read_json_object(request)
        user = required_user(body)
        conversation_id = _conversation_id(request)
        auto_generate = bool_field(body, "auto_generate", False)
        name = optional_string(body, "name", self.db)
        if not auto_generate and not (name and name.strip()):
            raise invalid_param("name is required unless auto_generate is true.")
        row = await run_in_threadpool(self.db.rename, app_id, owner_key(user), conversation_id,
                                      None if auto_generate else name, int(time.time()), touch=self.touch_on_rename,
                                      dated=self.dating.update)
        if row is None:
            raise not_found()
        return JSONResponse(render_item(row))

    async def delete(self, request: Request, app_id: str) -> Response:
        body = await read_json_object(request, empty_ok=True)
        user = required_user(body)
        conversation_id = _conversation_id(request)
        if self.lose_deletes and await run_in_threadpool(self._lost, conversation_id):
            raise not_found()  # the row stays, listed as before
        deleted = await run_in_threadpool(self.db.delete, app_id, owner_key(user), conversation_id)
        if not deleted:
            raise not_found()
        return Response(status_code=204)

    def _lost(self, conversation_id: str) -> bool:
        """delete-404-kept: the conversations whose first message ends in " #2" (the second of each
        seeded user: deleted by nothing but the run-end cleanup) are "not found" to DELETE."""
        first = self.db.first_query(conversation_id)
        return first is not None and first.endswith(LOST_SUFFIX)


LOST_SUFFIX = " #2"
