"""Redaction, written once: the API key (and any near-key the suite sends) out of everything recorded.

A secret is hidden in every form it can take in what the suite records or writes: as sent, as a
URL's path or query carries it (``quote``, ``quote_plus``), and inside a JSON string, where a
hostile target may spell it with escapes (``\\u0061pp-...``) that a plain search never finds. The
HTTP client redacts every exchange before it is recorded; the HAR writer redacts again with the
same :class:`Redactor`, a second line of defence. :class:`LogGuard` keeps the secrets out of the
HTTP libraries' own log records.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from .errors import first_line

__all__ = ["REDACTED", "Redactor", "LogGuard", "secret_forms"]

REDACTED = "[REDACTED]"


def secret_forms(secret: str) -> set[str]:
    """``secret`` as sent, and as a URL's path or query string would carry it; nothing for an empty one."""
    return {secret, quote(secret, safe=""), quote_plus(secret)} if secret else set()


class Redactor:
    """Replaces every form of its secrets by ``[REDACTED]``; secrets may be added at any time, from any thread."""

    def __init__(self, secrets: Iterable[str] = (), *, log_guard: LogGuard | None = None) -> None:
        self._forms: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._log_guard = log_guard
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Redact ``secret`` from now on (and from the HTTP libraries' logs, with a log guard)."""
        forms = secret_forms(secret)
        if not forms:
            return
        with self._lock:  # longest first: no partial leftovers
            self._forms = tuple(sorted(set(self._forms) | forms, key=len, reverse=True))
        if self._log_guard is not None:
            self._log_guard.add(forms)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def text(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def json_text(self, text: str) -> str:
        """``text`` redacted, also where it is JSON whose strings spell a secret with escapes."""
        text = self.text(text)
        if not self._forms or "\\" not in text:
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return text
        cleaned = self._json(data)
        return json.dumps(cleaned, ensure_ascii=False) if cleaned != data else text

    def body(self, body: bytes) -> bytes:
        """A response body without the secrets: as is, URL-encoded, or hidden in JSON escapes."""
        forms = self._forms
        for form in forms:
            body = body.replace(form.encode("utf-8"), REDACTED.encode("ascii"))
        if not forms or b"\\" not in body:
            return body
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            return body
        cleaned = self._json(data)
        return json.dumps(cleaned, ensure_ascii=False).encode("utf-8") if cleaned != data else body

    def _json(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self._json(item) for item in data]
        if isinstance(data, dict):
            return {self.text(key): self._json(value) for key, value in data.items()}
        return data


class LogGuard(logging.Filter):
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
            cause = first_line(record.exc_info[1])
            text += "" if cause in text else f" ({cause})"
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        record.msg, record.args = text, None
        record.exc_info, record.exc_text, record.stack_info = None, None, None  # no traceback on the terminal
        return True
