"""API keys: ``Authorization: Bearer <key>``. Each key is its own app, so conversations and users of
one key are invisible to another. Apps are identified by a digest of their key, so a file database
keeps each app's data across restarts without ever storing a key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from .errors import ApiError, server_error
from .faults import Faults

__all__ = ["Authenticator", "app_id_for"]


def app_id_for(api_key: str) -> str:
    return hashlib.sha256(b"dify-conformance app\x00" + api_key.encode("utf-8")).hexdigest()[:32]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    def __init__(self, api_keys: Sequence[str], faults: Faults) -> None:
        if not api_keys:
            raise ValueError("at least one API key is needed")
        self._keys = [(key.encode("utf-8"), app_id_for(key)) for key in api_keys]
        self._first_app = self._keys[0][1]
        self._missing_accepted = "auth-missing-accepted" in faults
        self._any_key_accepted = "auth-any-key-accepted" in faults
        self._malformed_5xx = "auth-malformed-5xx" in faults

    def app_id(self, authorization: str | None) -> str:
        """The app a request's Authorization header names; ApiError 401 if it names none."""
        if not authorization:
            if self._missing_accepted:
                return self._first_app
            raise _unauthorized("Authorization header must be provided and start with 'Bearer'")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            if self._malformed_5xx:
                raise server_error()  # the header parsed without a check: every such request, every time
            raise _unauthorized("Authorization scheme must be 'Bearer'")
        presented = token.encode("utf-8", "surrogateescape")
        found = None
        for key, app in self._keys:  # compare with every key, in constant time each
            if hmac.compare_digest(presented, key):
                found = app
        if found is None and self._any_key_accepted:
            return self._first_app
        if found is None:
            raise _unauthorized("Access token is invalid")
        return found
