"""evidence.har: every HTTP exchange of the run as a HAR 1.2 file, streamed, key redacted.

Records are :meth:`Exchange.to_record` dicts, read one at a time from the evidence log, so memory
stays flat however long the run. Exchanges are redacted when recorded; every text field still goes
through the client's own :class:`~conformance.http.redaction.Redactor` (the key as is, URL-encoded, or
spelt with JSON escapes in a body), a second line of defence against a key the target echoed back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import harfile

from ..http.redaction import REDACTED, Redactor
from ..model.exchange import Exchange

__all__ = ["write_har", "har_entry", "redact", "REDACTED", "CREATOR"]

CREATOR = "dify-conformance"
_HTTP_VERSION = "HTTP/1.1"  # what the suite's client speaks; the record does not say


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with every non-empty secret, as is or URL-encoded, replaced by ``[REDACTED]``."""
    return Redactor(secrets).text(text)


def _status_text(code: int | None) -> str:
    if code is None:
        return ""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def har_entry(record: dict[str, Any], secrets: Sequence[str] | Redactor = ()) -> dict[str, Any]:
    """The keyword arguments of :meth:`harfile.HarFile.add_entry` for one exchange record."""
    exchange = Exchange.from_record(record)
    redactor = secrets if isinstance(secrets, Redactor) else Redactor(secrets)
    clean, clean_json = redactor.text, redactor.json_text

    def records(pairs: Iterable[tuple[str, str]]) -> list[harfile.Record]:
        return [harfile.Record(name=clean(name), value=clean(value)) for name, value in pairs]

    request_type = next(
        (v for k, v in exchange.request_headers if k.lower() == "content-type"), "application/json"
    )
    body = exchange.request_body
    request = harfile.Request(
        method=exchange.method,
        url=clean(exchange.url),
        httpVersion=_HTTP_VERSION,
        headers=records(exchange.request_headers),
        queryString=records(exchange.params),
        postData=harfile.PostData(mimeType=clean(request_type), text=clean_json(body))
        if body is not None
        else None,
        bodySize=len(body.encode("utf-8")) if body is not None else 0,
    )
    notes = []
    if exchange.status_code is None:
        notes.append(f"no response: {exchange.error or 'unknown error'}")
    if exchange.truncated or record.get("body_truncated_in_record"):
        notes.append("response body truncated in the evidence")
    if exchange.attempts > 1:
        notes.append(f"sent {exchange.attempts} times (429 answers retried)")
    response = harfile.Response(
        status=exchange.status_code or 0,
        statusText=_status_text(exchange.status_code),
        httpVersion=_HTTP_VERSION if exchange.status_code is not None else "",
        headers=records(exchange.response_headers),
        content=harfile.Content(
            size=len(exchange.body), mimeType=clean(exchange.content_type), text=clean_json(exchange.text)
        ),
        bodySize=len(exchange.body) if exchange.status_code is not None else -1,
        comment=clean("; ".join(notes)) if notes else None,
    )
    elapsed = _ms(exchange.elapsed_s)
    return {
        "startedDateTime": datetime.fromtimestamp(exchange.started_at, UTC).isoformat(
            timespec="milliseconds"
        ),
        "time": elapsed,
        "request": request,
        "response": response,
        "timings": harfile.Timings(send=0, wait=elapsed, receive=0),
        "comment": clean(exchange.kind),
    }


def write_har(
    records: Iterable[dict[str, Any]],
    path: str | os.PathLike[str],
    *,
    creator_version: str,
    secrets: Sequence[str] = (),
) -> Path:
    """Stream ``records`` into a HAR 1.2 file at ``path``; returns the path."""
    target = Path(path)
    # harfile writes entry by entry; write beside the target, then move it into place whole.
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            har = harfile.HarFile(handle, creator=harfile.Creator(name=CREATOR, version=creator_version))
            redactor = Redactor(secrets)
            for record in records:
                har.add_entry(**har_entry(record, redactor))
            har.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
