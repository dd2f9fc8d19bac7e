"""What went wrong on the wire, in a few words: the one-line ``error`` of an exchange with no answer.

urllib3 nests its exceptions (a MaxRetryError around a NewConnectionError around an OSError); a
user needs the root cause ("connection refused", "unknown host") and, for TLS, what to do about it.
"""

from __future__ import annotations

import ssl

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

__all__ = ["failure_words", "connection_failure", "tls_failure", "first_line", "SEND_ERRORS"]

# What sending one request may raise that is the target's doing (or the network's), never the suite's.
SEND_ERRORS: tuple[type[BaseException], ...] = (urllib3.exceptions.HTTPError, requests.exceptions.RequestException,
                                                OSError)


def failure_words(exc: BaseException, *, connect_timeout_s: float, timeout_s: float) -> str:
    """The ``error`` of an exchange whose request raised ``exc`` (one of :data:`SEND_ERRORS`)."""
    if isinstance(exc, MaxRetryError):  # what could not connect, as requests' adapter sorts it
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return f"connection timed out after {connect_timeout_s:g} s"
        if isinstance(reason, Urllib3SSLError):
            return f"TLS failure: {tls_failure(exc)}"
        return f"connection failed: {connection_failure(exc)}"
    if isinstance(exc, ProtocolError | OSError | ClosedPoolError):
        return f"connection failed: {connection_failure(exc)}"
    if isinstance(exc, Urllib3SSLError):
        return f"TLS failure: {tls_failure(exc)}"
    if isinstance(exc, ReadTimeoutError):
        return f"no response within {timeout_s:g} s"
    return f"request failed: {first_line(exc)}"


def connection_failure(exc: BaseException) -> str:
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
    return first_line(cause or exc)


def tls_failure(exc: BaseException) -> str:
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
    text = getattr(root, "reason", None) or first_line(root)
    if isinstance(root, ssl.SSLError) and root.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                                                          "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"):
        return f"the target did not answer in TLS ({text}): is it plain http://?"
    return str(text)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
