"""A small HTTP client of the reference server's four operations, for its tests and its benchmark.

(The suite itself talks to targets through ``conformance.http.client``, with evidence and redaction; this
one is deliberately plain.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

__all__ = ["ServerClient", "ServerClientError"]


class ServerClientError(RuntimeError):
    def __init__(self, response: requests.Response) -> None:
        self.response = response
        request = response.request
        super().__init__(f"{request.method} {request.url} answered {response.status_code}: {response.text[:300]}")


class ServerClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- raw requests: any status ---------------------------------------------------------------

    def send(self, user: str | None, query: str = "hello", *, conversation_id: str | None = None,
             response_mode: str = "blocking", **extra: Any) -> requests.Response:
        body: dict[str, Any] = {"inputs": {}, "query": query, "response_mode": response_mode, **extra}
        if user is not None:
            body["user"] = user
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        return self.session.post(f"{self.base_url}/chat-messages", json=body, timeout=self.timeout)

    def list_raw(self, params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
             **kwargs: Any) -> requests.Response:
        return self.session.get(f"{self.base_url}/conversations", params=params, timeout=self.timeout, **kwargs)

    def rename_raw(self, conversation_id: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.base_url}/conversations/{conversation_id}/name", json=body,
                                 timeout=self.timeout)

    def delete_raw(self, conversation_id: str, body: Any) -> requests.Response:
        return self.session.delete(f"{self.base_url}/conversations/{conversation_id}", json=body,
                                   timeout=self.timeout)

    # -- checked operations: ServerClientError unless they succeed ------------------------------

    def create(self, user: str, query: str = "hello") -> dict[str, Any]:
        """A new conversation; the blocking answer (``conversation_id``, ``created_at``, ...)."""
        return _json(_expect(self.send(user, query), 200))

    def message(self, user: str, conversation_id: str, query: str = "and another thing") -> dict[str, Any]:
        return _json(_expect(self.send(user, query, conversation_id=conversation_id), 200))

    def rename(self, user: str, conversation_id: str, name: str) -> dict[str, Any]:
        return _json(_expect(self.rename_raw(conversation_id, {"name": name, "user": user}), 200))

    def delete(self, user: str, conversation_id: str) -> None:
        _expect(self.delete_raw(conversation_id, {"user": user}), 204)

    def page(self, **params: Any) -> dict[str, Any]:
        """One list page (``user=``, ``last_id=``, ``limit=``, ``sort_by=``; None values are left out)."""
        return _json(_expect(self.list_raw({k: v for k, v in params.items() if v is not None}), 200))

    def walk(self, user: str, *, sort_by: str | None = None, limit: int | None = None,
             max_pages: int = 10_000) -> list[dict[str, Any]]:
        """Every page, following last_id until has_more is false (or a page is empty, or max_pages)."""
        pages: list[dict[str, Any]] = []
        last_id: str | None = None
        while len(pages) < max_pages:
            page = self.page(user=user, sort_by=sort_by, limit=limit, last_id=last_id)
            pages.append(page)
            if not page["has_more"] or not page["data"]:
                break
            last_id = page["data"][-1]["id"]
        return pages


def _expect(response: requests.Response, status: int) -> requests.Response:
    if response.status_code != status:
        raise ServerClientError(response)
    return response


def _json(response: requests.Response) -> dict[str, Any]:
    body = response.json() if response.content else {}
    if not isinstance(body, dict):
        raise ServerClientError(response)
    return body
