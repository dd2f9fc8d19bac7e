"""The transport: puts one prepared request on the wire and reads its answer, and nothing else.

:class:`Transport` is the one interface the HTTP client sends through; :class:`Urllib3Transport` is
the real one, :class:`conformance.http.fake_transport.FakeTransport` the one unit tests swap in. A
transport never raises for what a target does: no answer, a broken body or a TLS failure comes
back as a :class:`WireResponse` with a one-line ``error``. It follows no redirect, keeps no cookie
and uses no proxy; pacing, limits, redaction and recording are the client's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from urllib3.util.retry import Retry

from .errors import SEND_ERRORS, failure_words, first_line

__all__ = ["Transport", "WireRequest", "WireResponse", "Urllib3Transport", "CONNECT_TIMEOUT_CAP_S"]

CONNECT_TIMEOUT_CAP_S = 10.0  # a target that never accepts a connection costs at most this


@dataclass(frozen=True, slots=True)
class WireRequest:
    """One request as it goes on the wire: the real headers (the key included), the body encoded."""

    method: str
    path: str  # appended to the base URL
    params: Sequence[tuple[str, str]] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def __repr__(self) -> str:  # the headers hold the key: never print them
        return f"WireRequest({self.method} {self.path})"


@dataclass(frozen=True, slots=True)
class WireResponse:
    """What came back: no status when no answer came, ``error`` saying why (or why the body was cut)."""

    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # decoded (gzip, deflate), at most the body cap
    truncated: bool = False  # the body was cut: over the cap, too slow, broken off
    error: str | None = None


class Transport(Protocol):
    def send(self, request: WireRequest) -> WireResponse: ...

    def close(self) -> None: ...


class Urllib3Transport:
    """urllib3 directly, as requests' adapter drives it (same retries, timeouts, TLS settings and errors),
    without requests' per-call merging of sessions, cookies, hooks and environment: no proxies or
    .netrc credentials are picked up behind the user's back, and no cookie a target sets is sent back."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0, verify: bool | str = True,
                 body_cap_bytes: int = 8 * 1024 * 1024, connections: int = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.connect_timeout_s = min(timeout_s, CONNECT_TIMEOUT_CAP_S)
        self.body_cap_bytes = body_cap_bytes
        self._pool = urllib3.PoolManager(num_pools=10, maxsize=max(10, connections), block=False,
                                         **_tls_settings(verify))
        self._targets = lru_cache(maxsize=512)(self._target)

    def close(self) -> None:
        self._pool.clear()

    def send(self, request: WireRequest) -> WireResponse:
        start = time.monotonic()
        headers = dict(request.headers)
        if request.body is not None or request.method not in ("GET", "HEAD"):  # as requests sets it: no body, 0
            headers["Content-Length"] = str(len(request.body or b""))
        status: int | None = None
        response_headers: tuple[tuple[str, str], ...] = ()
        try:
            pool, target = self._request_target(request.path, request.params)
            response = pool.urlopen(
                request.method, target, body=request.body, headers=headers,
                redirect=False,  # a redirect never carries the key anywhere
                assert_same_host=False, preload_content=False, decode_content=False, retries=_NO_RETRIES,
                timeout=urllib3.Timeout(connect=self.connect_timeout_s, read=self.timeout_s), chunked=False,
            )
            try:
                status = response.status
                response_headers = tuple(response.headers.itermerged())
                body, truncated, error = self._read_body(response, start + self.timeout_s)
            finally:
                response.close()
                response.release_conn()
        except SEND_ERRORS as exc:
            words = failure_words(exc, connect_timeout_s=self.connect_timeout_s, timeout_s=self.timeout_s)
            return WireResponse(status, response_headers, error=words)
        return WireResponse(status, response_headers, body, truncated, error)

    def _target(self, path: str) -> tuple[urllib3.HTTPConnectionPool, str]:
        """The connection pool and the request target (path, no query) of ``base_url + path``.

        Normalised by requests' own URL preparation (IDNA host, requoted path), once per path; the
        query is appended per request, encoded as requests encodes it.
        """
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(self.base_url + path, None)
        url = prepared.url or ""
        parts = urlsplit(url)
        if parts.query or parts.fragment:  # no clean place to add a query: requests' preparation per request
            raise _UnusualUrl(url)
        return self._pool.connection_from_url(url), parts.path or "/"

    def _request_target(self, path: str, params: Sequence[tuple[str, str]]) -> tuple[urllib3.HTTPConnectionPool, str]:
        """Where to send ``path`` with ``params``: the pool and the request target (path and query)."""
        try:
            pool, target = self._targets(path)
        except _UnusualUrl as unusual:
            prepared = requests.models.PreparedRequest()
            prepared.prepare_url(unusual.url, list(params))
            return self._pool.connection_from_url(prepared.url or ""), prepared.path_url
        query = urlencode([(k, v) for k, v in params if v is not None])  # as requests' _encode_params
        return pool, f"{target}?{query}" if query else target

    def _read_body(self, response: urllib3.BaseHTTPResponse, deadline: float) -> tuple[bytes, bool, str | None]:
        """Read at most the cap, decoded (gzip, deflate), within the timeout: a huge or endless body is cut.

        ``read1`` returns whatever has arrived, so a body that drips in byte by byte is cut at the
        deadline too (``iter_content`` would wait for a whole chunk, however long the drip takes).
        """
        cap = self.body_cap_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    return b"".join(chunks), True, f"body not complete within {self.timeout_s:g} s"
                chunk = response.read1(min(65536, cap + 1 - size), decode_content=True)
                if not chunk:
                    return b"".join(chunks), False, None
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    return b"".join(chunks)[:cap], True, None
        except SEND_ERRORS as exc:
            return b"".join(chunks), True, f"body broken off: {first_line(exc)}"


# requests' adapter default: no retry of a request once it may have reached the target, nor of a read.
_NO_RETRIES = Retry(0, read=False)


class _UnusualUrl(Exception):
    """``base_url + path`` already holds a query or a fragment."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _tls_settings(verify: bool | str) -> dict[str, Any]:
    """urllib3's TLS settings for ``verify``, as requests' adapter derives them (certifi's bundle by default)."""
    if verify is False:
        return {"cert_reqs": "CERT_NONE"}
    location = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    key = "ca_cert_dir" if os.path.isdir(location) else "ca_certs"
    return {"cert_reqs": "CERT_REQUIRED", key: location}
