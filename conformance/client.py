"""The one HTTP client: auth, timeouts, size caps, politeness, redaction and evidence.

Every request of the suite goes through :meth:`HttpClient.send`, which never raises for what a
target does: a timeout, a reset or a TLS failure comes back as an :class:`Exchange` with no status
and a one-line ``error``. The API key is put on the wire only; what is recorded shows
``${DIFY_API_KEY}``, and the key is scrubbed from anything the target sends back.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit

import requests
import urllib3
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util.retry import Retry

from . import __version__
from .exchange import KEY_PLACEHOLDER, Exchange
from .results import Stop

__all__ = ["ClientSettings", "HttpClient", "BearerOverride", "KEY", "NO_AUTH", "Auth", "REDACTED", "Breaker",
           "budget_spent_reason", "ALWAYS_SENT_KINDS"]

REDACTED = "[REDACTED]"


@dataclass(frozen=True, slots=True)
class BearerOverride:
    """Send ``Authorization: <header>`` instead of the key; evidence shows ``shown`` (never a real key)."""

    header: str
    shown: str


class _Key:
    def __repr__(self) -> str:
        return "KEY"


KEY = _Key()  # authenticate with the configured API key
NO_AUTH = None  # send no Authorization header
Auth = _Key | BearerOverride | None


@dataclass(frozen=True, slots=True)
class ClientSettings:
    base_url: str
    api_key: str | None = None
    timeout_s: float = 30.0  # connect and read timeout, and the bound on reading one body
    rate_limit: float | None = None  # requests per second, None = unlimited
    verify: bool | str = True  # TLS verification, or a CA bundle path
    body_cap_bytes: int = 8 * 1024 * 1024
    max_429_retries: int = 3
    max_retry_after_s: float = 30.0
    max_requests: int | None = None  # hard cap on attempts sent; None = no cap (--max-requests)
    run_max_requests: int | None = None  # the whole run's cap, when this client has a share of it (xdist)
    # Other secrets of the run (the other app's key, --other-api-key), redacted like this client's own key.
    hidden: tuple[str, ...] = ()
    key_placeholder: str = KEY_PLACEHOLDER  # how the recorded Authorization header shows this client's key

    def __repr__(self) -> str:  # never print the key, even in a debugger or a traceback
        return f"ClientSettings(base_url={self.base_url!r}, api_key={'***' if self.api_key else None})"


class _Pacer:
    """Spaces requests at most ``rate`` per second across threads."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


# Deletes of the run's own test data are sent past the request budget: a run never leaves data behind.
ALWAYS_SENT_KINDS = frozenset({"delete"})


def budget_spent_reason(cap: int, share: int | None = None) -> str:
    return f"request budget of {cap} spent" + (f" ({share} for this worker)" if share not in (None, cap) else "")


class Breaker:
    """Declares a target unresponsive after ``failures`` consecutive unusable answers to one kind of request.

    Unusable: no answer (timeout, refused or reset connection) or a body cut off (size cap, too slow).
    A kind is the method, the API call and whether a cursor was sent, so a target that stops answering
    only some requests (every one with ``last_id``, say) trips it too, while the answers it still gives
    to others do not hide that; any usable answer of that kind starts the count again. Once tripped it
    stays so; deletes of test data get ``failures`` more tries of their own.
    """

    def __init__(self, failures: int = 3) -> None:
        self.failures = failures
        self.reason: str | None = None  # set once tripped
        self._delete_failures = 0
        self._consecutive: dict[tuple[str, str, bool], int] = {}
        self._lock = threading.Lock()

    def allows(self, kind: str) -> bool:
        if self.reason is None:
            return True
        return kind in ALWAYS_SENT_KINDS and self._delete_failures < self.failures

    def observe(self, exchange: Exchange) -> None:
        unusable = exchange.status_code is None or exchange.truncated
        with self._lock:
            if self.reason is not None:
                if exchange.kind in ALWAYS_SENT_KINDS:
                    self._delete_failures = self._delete_failures + 1 if unusable else 0
                return
            cursor = any(name == "last_id" for name, _ in exchange.params)
            shape = (exchange.method, exchange.kind, cursor)
            count = self._consecutive[shape] = self._consecutive.get(shape, 0) + 1 if unusable else 0
            if count >= self.failures:
                what = f"{exchange.method} {exchange.path}{' with last_id' if cursor else ''}"
                why = exchange.error or "a body over the size cap"
                self.reason = (f"the target stopped answering: {count} {what} requests in a row got no usable "
                               f"response (last: {why})")


class HttpClient:
    """Sends requests to one target and hands every exchange to ``record``."""

    def __init__(
        self,
        settings: ClientSettings,
        record: Callable[[Exchange], None] = lambda exchange: None,
    ) -> None:
        self.settings = settings
        self._record = record
        # urllib3 directly, as requests' adapter drives it (same retries, timeouts, TLS settings and errors),
        # without requests' per-call merging of sessions, cookies, hooks and environment: no proxies or
        # .netrc credentials are picked up behind the user's back, and no cookie a target sets is sent back.
        self._pool = urllib3.PoolManager(num_pools=10, maxsize=10, block=False, **_tls_settings(settings.verify))
        self._targets = lru_cache(maxsize=512)(self._target)
        self._pacer = _Pacer(settings.rate_limit)
        self._secrets: list[str] = []
        self._secrets_lock = threading.Lock()
        self._log_guard = _LogGuard()  # this client's secrets out of the HTTP libraries' logs, until close()
        for secret in (settings.api_key, *settings.hidden):
            if secret:
                self._hide(secret)
        self.throttled = 0  # 429 answers seen
        self.throttle_wait_s = 0.0
        self.breaker = Breaker()
        self.sent = 0  # attempts put on the wire (429 retries included)
        self.refused = 0  # sends not put on the wire: the request budget was spent or the target stopped answering
        self.budget_spent = False  # a send was refused for the request budget
        self._count_lock = threading.Lock()

    @property
    def stop_kind(self) -> Stop | None:
        """What keeps this client from sending, as a kind: the target stopped answering, or the budget."""
        if self.breaker.reason is not None:
            return "target-stopped"
        return "request-budget" if self.budget_spent else None

    @property
    def stopped(self) -> str | None:
        """Why this client sends no more requests (budget spent, target unresponsive), or None."""
        if self.breaker.reason is not None:
            return self.breaker.reason
        if self.budget_spent:
            return self._budget_reason()
        return None

    def _budget_reason(self) -> str:
        cap = self.settings.max_requests or 0
        return budget_spent_reason(self.settings.run_max_requests or cap, cap)

    def _refusal(self, kind: str) -> str | None:
        """Why this send may not go on the wire, or None; counts it as sent when it may."""
        if not self.breaker.allows(kind):
            return self.breaker.reason
        cap = self.settings.max_requests
        with self._count_lock:
            if cap is not None and self.sent >= cap and kind not in ALWAYS_SENT_KINDS:
                self.budget_spent = True
                return self._budget_reason()
            self.sent += 1
        return None

    def close(self) -> None:
        self._pool.clear()
        self._log_guard.remove()

    def _target(self, path: str) -> tuple[urllib3.HTTPConnectionPool, str]:
        """The connection pool and the request target (path, no query) of ``base_url + path``.

        Normalised by requests' own URL preparation (IDNA host, requoted path), once per path; the
        query is appended per request, encoded as requests encodes it.
        """
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(self.settings.base_url.rstrip("/") + path, None)
        url = prepared.url or ""
        parts = urlsplit(url)
        if parts.query or parts.fragment:  # no clean place to add a query: requests' preparation per request
            raise _UnusualUrl(url)
        return self._pool.connection_from_url(url), parts.path or "/"

    def _hide(self, secret: str) -> None:
        """Redact ``secret`` from now on: as sent, and as a URL's path or query would carry it."""
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        with self._secrets_lock:  # longest first: no partial leftovers
            self._secrets = sorted(set(self._secrets) | forms, key=len, reverse=True)
        self._log_guard.add(forms)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _redact_body(self, body: bytes) -> bytes:
        """The body without the key: as is, URL-encoded, or hidden in JSON escapes (``\\u0061pp-...``)."""
        for secret in self._secrets:
            body = body.replace(secret.encode("utf-8"), REDACTED.encode("ascii"))
        if not self._secrets or b"\\" not in body:
            return body
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            return body
        cleaned = self._redact_json(data)
        return json.dumps(cleaned, ensure_ascii=False).encode("utf-8") if cleaned != data else body

    def _redact_json(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, list):
            return [self._redact_json(item) for item in data]
        if isinstance(data, dict):
            return {self.redact(key): self._redact_json(value) for key, value in data.items()}
        return data

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        auth: Auth = KEY,
        kind: str = "other",
    ) -> Exchange:
        headers, shown = self._headers(auth, json_body is not None)
        body_text = json.dumps(json_body, ensure_ascii=False) if json_body is not None else None
        attempt = 0
        while True:
            attempt += 1
            refusal = self._refusal(kind)
            if refusal is not None:  # not sent, so not recorded: nothing the target did
                with self._count_lock:
                    self.refused += 1
                return self._unsent(method, path, params, shown, body_text, kind, refusal)
            exchange = self._send_once(method, path, params, headers, shown, body_text, kind, attempt)
            self.breaker.observe(exchange)
            self._record(exchange)
            if exchange.status_code != 429 or attempt > self.settings.max_429_retries:
                return exchange
            wait = self._retry_after(exchange)
            self.throttled += 1
            self.throttle_wait_s += wait
            time.sleep(wait)

    def _unsent(self, method: str, path: str, params: Sequence[tuple[str, str]], shown: list[tuple[str, str]],
                body_text: str | None, kind: str, reason: str) -> Exchange:
        """The exchange of a request that never went on the wire: no status, ``attempts`` 0, the reason as error."""
        return Exchange(
            kind=kind, method=method, base_url=self.redact(self.settings.base_url.rstrip("/")), path=self.redact(path),
            params=tuple((self.redact(str(k)), self.redact(str(v))) for k, v in params),
            request_headers=tuple(shown), request_body=self.redact(body_text) if body_text is not None else None,
            started_at=time.time(), elapsed_s=0.0, status_code=None, response_headers=(), body=b"", truncated=False,
            error=reason, attempts=0,
        )

    def _headers(
        self, auth: Auth, has_body: bool
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        headers = {"User-Agent": f"dify-conformance/{__version__}", "Accept": "application/json"}
        if has_body:
            headers["Content-Type"] = "application/json"
        shown = list(headers.items())
        # On the wire also what requests sent by default, in its order (transport only, not recorded).
        headers = {"User-Agent": headers.pop("User-Agent"), "Accept-Encoding": _ACCEPT_ENCODING,
                   "Accept": headers.pop("Accept"), "Connection": "keep-alive", **headers}
        if isinstance(auth, _Key) and self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
            shown.append(("Authorization", f"Bearer {self.settings.key_placeholder}"))
        elif isinstance(auth, BearerOverride):
            headers["Authorization"] = auth.header
            shown.append(("Authorization", auth.shown))
            if auth.shown != auth.header:  # e.g. the key with one character changed: nearly the key itself
                for hidden in (auth.header, auth.header.partition(" ")[2]):
                    if len(hidden) > 3 and hidden not in auth.shown:
                        self._hide(hidden)
        return headers, shown

    def _send_once(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        headers: dict[str, str],
        shown: list[tuple[str, str]],
        body_text: str | None,
        kind: str,
        attempt: int,
    ) -> Exchange:
        self._pacer.wait()
        base = self.settings.base_url.rstrip("/")
        started_at = time.time()
        start = time.monotonic()
        status: int | None = None
        response_headers: tuple[tuple[str, str], ...] = ()
        body = b""
        truncated = False
        error: str | None = None
        timeout = self.settings.timeout_s
        connect_timeout = min(timeout, 10.0)  # a target that never accepts costs at most this
        try:
            pool, target = self._request_target(path, params)
            data = body_text.encode("utf-8") if body_text is not None else None
            if data is not None or method not in ("GET", "HEAD"):  # as requests sets it: no body, length 0
                headers = {**headers, "Content-Length": str(len(data or b""))}
            response = pool.urlopen(
                method, target, body=data, headers=headers, redirect=False,  # a redirect never carries the key anywhere
                assert_same_host=False, preload_content=False, decode_content=False, retries=_NO_RETRIES,
                timeout=urllib3.Timeout(connect=connect_timeout, read=timeout), chunked=False,
            )
            try:
                status = response.status
                response_headers = tuple((self.redact(k), self.redact(v)) for k, v in response.headers.itermerged())
                body, truncated, error = self._read_body(response, start + timeout)
            finally:
                response.close()
                response.release_conn()
        except MaxRetryError as exc:  # what could not connect, as requests' adapter sorts it
            reason = exc.reason
            if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
                error = f"connection timed out after {connect_timeout:g} s"
            elif isinstance(reason, Urllib3SSLError):
                error = f"TLS failure: {_tls_failure(exc)}"
            else:
                error = f"connection failed: {_connection_failure(exc)}"
        except (ProtocolError, OSError, ClosedPoolError) as exc:
            error = f"connection failed: {_connection_failure(exc)}"
        except Urllib3SSLError as exc:
            error = f"TLS failure: {_tls_failure(exc)}"
        except ReadTimeoutError:
            error = f"no response within {timeout:g} s"
        except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException) as exc:
            error = f"request failed: {_first_line(exc)}"
        body = self._redact_body(body)
        return Exchange(
            kind=kind,
            method=method,
            base_url=self.redact(base),
            path=self.redact(path),  # e.g. a conversation id a hostile target made of the key
            params=tuple((self.redact(str(k)), self.redact(str(v))) for k, v in params),
            request_headers=tuple(shown),
            request_body=self.redact(body_text) if body_text is not None else None,
            started_at=started_at,
            elapsed_s=time.monotonic() - start,
            status_code=status,
            response_headers=response_headers,
            body=body,
            truncated=truncated,
            error=self.redact(error) if error else None,
            attempts=attempt,
        )

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
        cap = self.settings.body_cap_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    return b"".join(chunks), True, f"body not complete within {self.settings.timeout_s:g} s"
                chunk = response.read1(min(65536, cap + 1 - size), decode_content=True)
                if not chunk:
                    return b"".join(chunks), False, None
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    return b"".join(chunks)[:cap], True, None
        except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
            return b"".join(chunks), True, f"body broken off: {_first_line(exc)}"

    def _retry_after(self, exchange: Exchange) -> float:
        value = (exchange.header("retry-after") or "").strip()
        wait = 1.0
        if value.isdigit():
            wait = float(value)
        elif value:
            parsed = email.utils.parsedate_to_datetime(value) if _is_http_date(value) else None
            if parsed is not None:
                wait = parsed.timestamp() - time.time()
        return min(max(wait, 0.0), self.settings.max_retry_after_s)


_ACCEPT_ENCODING = requests.utils.DEFAULT_ACCEPT_ENCODING  # the codings urllib3 can decode here

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


class _LogGuard(logging.Filter):
    """Keeps what the target sent out of the HTTP libraries' own log records (pytest shows them on failure).

    urllib3 logs, for instance, a response header it cannot parse, with the raw header text and a
    traceback: a hostile target can put the key there. Each record becomes one redacted line.
    """

    LOGGERS = ("urllib3", "urllib3.connection", "urllib3.connectionpool", "urllib3.response", "urllib3.util.retry",
               "requests")

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self._installed = False
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets = sorted(set(self._secrets) | set(secrets), key=len, reverse=True)
            if not self._installed:
                for name in self.LOGGERS:  # a logger's filters see only its own records, so each one
                    logging.getLogger(name).addFilter(self)
                self._installed = True

    def remove(self) -> None:
        with self._lock:
            if self._installed:
                for name in self.LOGGERS:
                    logging.getLogger(name).removeFilter(self)
                self._installed = False

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot even be formatted is not worth showing
            return False
        if record.exc_info and record.exc_info[1] is not None:
            cause = _first_line(record.exc_info[1])
            text += "" if cause in text else f" ({cause})"
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        record.msg, record.args = text, None
        record.exc_info, record.exc_text, record.stack_info = None, None, None  # no traceback on the terminal
        return True



def _is_http_date(value: str) -> bool:
    try:
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def _connection_failure(exc: BaseException) -> str:
    """The root cause of a connection error in a few words, not urllib3's nested repr."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 8:
        seen += 1
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException):
            cause = reason
            continue
        if cause.args and isinstance(cause.args[-1], BaseException):
            cause = cause.args[-1]
            continue
        break
    text = str(cause) if cause is not None else str(exc)
    lowered = text.lower()
    for needle, words in (("refused", "connection refused"), ("reset", "connection reset by the target"),
                          ("name or service not known", "unknown host"), ("nodename nor servname", "unknown host"),
                          ("failed to resolve", "unknown host"), ("remote end closed", "the target closed the "
                          "connection without a response"), ("aborted", "connection aborted"),
                          ("no route to host", "no route to host"), ("network is unreachable", "network unreachable")):
        if needle in lowered:
            return words
    return _first_line(cause or exc)


def _tls_failure(exc: BaseException) -> str:
    """What went wrong in the TLS handshake, in words, with what to do about it."""
    cause: BaseException | None = exc
    root: BaseException = exc
    for _ in range(8):  # requests' SSLError wraps urllib3's, which wraps the ssl module's
        if cause is None:
            break
        root = cause
        inner = getattr(cause, "reason", None)
        if not isinstance(inner, BaseException) and cause.args and isinstance(cause.args[0], BaseException):
            inner = cause.args[0]
        cause = inner if isinstance(inner, BaseException) else None
    if isinstance(root, ssl.SSLCertVerificationError):
        why = root.verify_message or "certificate verify failed"
        return (f"the target's certificate could not be verified ({why}): pass --ca-bundle PATH with the CA "
                "that signed it, or --insecure to test without verification")
    text = getattr(root, "reason", None) or _first_line(root)
    if isinstance(root, ssl.SSLError) and root.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                                                          "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"):
        return f"the target did not answer in TLS ({text}): is it plain http://?"
    return str(text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
