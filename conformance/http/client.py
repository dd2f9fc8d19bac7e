"""The one HTTP client: auth, evidence, and the run's limits, composed around one transport.

Every request of the suite goes through :meth:`HttpClient.send`, which never raises for what a
target does: a timeout, a reset or a TLS failure comes back as an :class:`Exchange` with no status
and a one-line ``error``. The API key is put on the wire only; what is recorded shows
``${DIFY_API_KEY}``, and the key is scrubbed from anything the target sends back.

The jobs live apart: the wire in :mod:`conformance.http.transport` (a fake one in
:mod:`conformance.http.fake_transport`), pacing and limits in :mod:`conformance.http.limits`, redaction in
:mod:`conformance.http.redaction`, error words in :mod:`conformance.http.errors`. The client is safe to
use from many threads at once: at most ``concurrency`` requests are on the wire together.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import requests

from .. import __version__
from ..model.exchange import KEY_PLACEHOLDER, Exchange
from ..model.results import Stop
from .limits import (
    ALWAYS_SENT_KINDS,
    Admission,
    Breaker,
    ConcurrencyGate,
    Pacer,
    RequestBudget,
    Tally,
    Throttle,
    budget_spent_reason,
    open_tallies,
    open_tally,
)
from .redaction import REDACTED, LogGuard, Redactor
from .transport import Transport, Urllib3Transport, WireRequest

__all__ = ["ClientSettings", "HttpClient", "BearerOverride", "KEY", "NO_AUTH", "Auth", "REDACTED", "Breaker",
           "budget_spent_reason", "ALWAYS_SENT_KINDS", "Tally"]


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
    concurrency: int = 4  # at most this many requests on the wire at once (--concurrency)
    # Other secrets of the run (the other app's key, --other-api-key), redacted like this client's own key.
    hidden: tuple[str, ...] = ()
    key_placeholder: str = KEY_PLACEHOLDER  # how the recorded Authorization header shows this client's key

    def __repr__(self) -> str:  # never print the key, even in a debugger or a traceback
        return f"ClientSettings(base_url={self.base_url!r}, api_key={'***' if self.api_key else None})"


class HttpClient:
    """Sends requests to one target and hands every exchange to ``record`` (from any thread)."""

    def __init__(
        self,
        settings: ClientSettings,
        record: Callable[[Exchange], None] = lambda exchange: None,
        transport: Transport | None = None,
        share_limits_with: HttpClient | None = None,
    ) -> None:
        """``share_limits_with``: another client of the same run (the second app's) whose pacing, 429 hold
        and concurrency gate this one shares, so that the run's limits hold across both."""
        self.settings = settings
        self._record = record
        self._transport: Transport = transport if transport is not None else Urllib3Transport(
            settings.base_url, timeout_s=settings.timeout_s, verify=settings.verify,
            body_cap_bytes=settings.body_cap_bytes, connections=settings.concurrency)
        self._log_guard = LogGuard()  # this client's secrets out of the HTTP libraries' logs, until close()
        self._redactor = Redactor(log_guard=self._log_guard)
        for secret in (settings.api_key, *settings.hidden):
            if secret:
                self._redactor.add(secret)
        self._pacer: Pacer
        self._throttle: Throttle
        self._gate: ConcurrencyGate
        if share_limits_with is not None:
            self._pacer, self._throttle = share_limits_with._pacer, share_limits_with._throttle
            self._gate = share_limits_with._gate
        else:
            self._pacer = Pacer(settings.rate_limit)
            self._throttle = Throttle(self._pacer, settings.max_retry_after_s)
            self._gate = ConcurrencyGate(settings.concurrency)
        self.budget = RequestBudget(settings.max_requests)
        self.breaker = Breaker()
        self._refused = 0
        self._count_lock = threading.Lock()

    @property
    def throttled(self) -> int:
        """429 answers retried."""
        return self._throttle.throttled

    @property
    def throttle_wait_s(self) -> float:
        return self._throttle.wait_s

    @property
    def sent(self) -> int:
        """Attempts put on the wire (429 retries included)."""
        return self.budget.sent

    @property
    def refused(self) -> int:
        """Sends not put on the wire, from every thread: the budget was spent or the target stopped answering.

        To attribute refusals to one check, count them in a :meth:`tally` instead.
        """
        return self._refused

    @property
    def budget_spent(self) -> bool:
        """A send was refused for the request budget."""
        return self.budget.spent

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

    def tally(self) -> AbstractContextManager[Tally]:
        """``with http.tally() as tally:`` counts the sends made in this context, and only those: in this
        thread, and in work it hands on with ``contextvars.copy_context().run`` (not in other checks)."""
        return open_tally(self)

    def _budget_reason(self) -> str:
        cap = self.settings.max_requests or 0
        return budget_spent_reason(self.settings.run_max_requests or cap, cap)

    def close(self) -> None:
        self._transport.close()
        self._log_guard.remove()

    def redact(self, text: str) -> str:
        return self._redactor.text(text)

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
        request = WireRequest(method, path, tuple(params), tuple(headers.items()),
                              body_text.encode("utf-8") if body_text is not None else None)
        tallies = open_tallies(self)
        attempt = 0
        while True:
            attempt += 1
            try:
                exchange = self._attempt(request, kind, shown, body_text, attempt, tallies)
            except _Refused as refused:  # not sent, so not recorded: nothing the target did
                with self._count_lock:
                    self._refused += 1
                for tally in tallies:
                    tally.count_refused(refused.kind, refused.reason)
                return self._exchange(kind, method, path, params, shown, body_text, time.time(), 0.0,
                                      error=refused.reason, attempts=0)
            retry = exchange.status_code == 429 and attempt <= self.settings.max_429_retries
            if retry:  # before the recording: every other sender is held back from now on
                self._throttle.back_off(exchange)
            self._record(exchange)
            if not retry:
                return exchange

    def _attempt(self, request: WireRequest, kind: str, shown: list[tuple[str, str]], body_text: str | None,
                 attempt: int, tallies: list[Tally]) -> Exchange:
        """One attempt on the wire, within the limits; _Refused when it may not go."""
        admission = self.breaker.admit(kind)
        if admission is None:
            raise _Refused("target-stopped", self.breaker.reason or "the target stopped answering")
        if not self.budget.take(kind):
            raise _Refused("request-budget", self._budget_reason())
        self._pacer.wait_for_hold()  # a 429 holds every sender back, without taking a place on the wire
        with self._gate:
            if admission is Admission.OPEN and self.breaker.reason is not None:
                admission = self.breaker.admit(kind)  # the target stopped answering while this one waited
                if admission is None:
                    self.budget.give_back()
                    raise _Refused("target-stopped", self.breaker.reason)
            self._pacer.wait_turn()
            for tally in tallies:
                tally.count_sent()
            started_at = time.time()
            start = time.monotonic()
            response = self._transport.send(request)
            elapsed = time.monotonic() - start
        exchange = self._exchange(
            kind, request.method, request.path, request.params, shown, body_text, started_at, elapsed,
            status=response.status,
            response_headers=tuple((self.redact(k), self.redact(v)) for k, v in response.headers),
            body=self._redactor.body(response.body), truncated=response.truncated,
            error=response.error, attempts=attempt,
        )
        self.breaker.observe(exchange, admission)
        return exchange

    def _headers(self, auth: Auth, has_body: bool) -> tuple[dict[str, str], list[tuple[str, str]]]:
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
                        self._redactor.add(hidden)
        return headers, shown

    def _exchange(self, kind: str, method: str, path: str, params: Sequence[tuple[str, str]],
                  shown: list[tuple[str, str]], body_text: str | None, started_at: float, elapsed_s: float, *,
                  status: int | None = None, response_headers: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                  truncated: bool = False, error: str | None, attempts: int) -> Exchange:
        """What is recorded of one send, redacted; ``attempts`` 0 for one never put on the wire."""
        return Exchange(
            kind=kind,
            method=method,
            base_url=self.redact(self.settings.base_url.rstrip("/")),
            path=self.redact(path),  # e.g. a conversation id a hostile target made of the key
            params=tuple((self.redact(str(k)), self.redact(str(v))) for k, v in params),
            request_headers=tuple(shown),
            request_body=self.redact(body_text) if body_text is not None else None,
            started_at=started_at,
            elapsed_s=elapsed_s,
            status_code=status,
            response_headers=response_headers,
            body=body,
            truncated=truncated,
            error=self.redact(error) if error else None,
            attempts=attempts,
        )


_ACCEPT_ENCODING = requests.utils.DEFAULT_ACCEPT_ENCODING  # the codings urllib3 can decode here


class _Refused(Exception):
    """A send that may not go on the wire: the budget is spent or the target stopped answering."""

    def __init__(self, kind: Stop, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason

