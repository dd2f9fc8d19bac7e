"""The Starlette application: routes under ``/v1``, Dify-shaped errors, and the random-5xx fault.

Handlers validate in the event loop and do database work in the thread pool, where the database
layer serialises SQLite access with one lock.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import Authenticator
from .chat import ChatHandler
from .conversations import ConversationHandler
from .dating import Dating
from .db import Database
from .errors import ApiError, error_response
from .faults import Faults
from .latency import InjectedLatency, ResponseLatency
from .listing import ConversationLister
from .policy import ServerPolicy

__all__ = ["create_app", "API_ROOT"]

API_ROOT = "/v1"

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_entity_too_large"}


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_server_error")
    message = "The requested URL was not found on the server." if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


async def _unexpected(_request: Request, _exc: Exception) -> Response:
    return error_response(500, "internal_server_error", "The server encountered an internal error.")


class RandomServiceUnavailable:
    """The random-5xx fault: one request in five answered 503, drawn from a seeded generator."""

    def __init__(self, app: ASGIApp, seed: int) -> None:
        self.app = app
        self._rng = random.Random(seed)  # only touched in the event loop thread: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._rng.random() < 0.2:
            response = error_response(503, "service_unavailable", "The server is temporarily unavailable.")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(db_url: str, api_keys: Sequence[str], policy: ServerPolicy, faults: Faults,
               seed: int = 0, latency: ResponseLatency | None = None) -> Starlette:
    """The reference server as an ASGI app; the database schema is created here if missing.
    ``latency``: every response delayed (conformance/server/latency.py), the 503s of random-5xx too."""
    problems = policy.problems()
    if problems:
        raise ValueError("; ".join(problems))
    db = Database(db_url)
    auth = Authenticator(api_keys, faults)
    lister = ConversationLister(db, policy, faults, seed)
    updates_before_creation = "updated-before-created" in faults
    dating = Dating(rounded_creations=policy.timestamps == "rounded-creations" or updates_before_creation,
                    updates_before_creation=updates_before_creation)
    chat = ChatHandler(db, faults, dating)
    conversations = ConversationHandler(db, faults, dating)

    def list_conversations(request: Request) -> Response:  # sync: Starlette runs it in the thread pool
        app_id = auth.app_id(request.headers.get("authorization"))
        return lister.respond(app_id, request.scope["query_string"])

    async def chat_messages(request: Request) -> Response:
        return await chat.handle(request, auth.app_id(request.headers.get("authorization")))

    async def rename(request: Request) -> Response:
        return await conversations.rename(request, auth.app_id(request.headers.get("authorization")))

    async def delete(request: Request) -> Response:
        return await conversations.delete(request, auth.app_id(request.headers.get("authorization")))

    routes = [
        Route(f"{API_ROOT}/chat-messages", chat_messages, methods=["POST"]),
        Route(f"{API_ROOT}/conversations", list_conversations, methods=["GET"]),
        Route(f"{API_ROOT}/conversations/{{conversation_id}}/name", rename, methods=["POST"]),
        Route(f"{API_ROOT}/conversations/{{conversation_id}}", delete, methods=["DELETE"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(db.close)

    middleware = [Middleware(InjectedLatency, latency=latency, seed=seed)] if latency and latency.active else []
    if "random-5xx" in faults:
        middleware.append(Middleware(RandomServiceUnavailable, seed=seed))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /v1/conversations/ is not the list: no redirect, a 404
    app.state.db = db
    return app
