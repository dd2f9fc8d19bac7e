"""Judgement re-derived offline, from a certification bundle's own recorded exchanges (its HAR).

``verify`` uses it so that a bundle is not only self-consistent (checksums, files that agree) but
backed by its evidence: a bundle whose recorded traffic does not give its recorded results is
refused, even when every checksum was recomputed after an edit.

- The cross-cutting requirements (ROBUST-01, SCHEMA-01, SCHEMA-02) are judged again on every recorded
  exchange, with the bundle's own spec, by the same oracle the run used (``evidence.crosscut_violations``);
  each must come out failed exactly when the summary records it failed.
- Every violation a check recorded cites its request and the status it got: that exchange must be among
  the recorded ones (same method, URL and status), so evidence cannot be changed without the traffic.
- The walks of the main user are rebuilt from the recorded list requests and judged again by the walk
  oracle the run used (``rejudge_walks.py``, which says what is decidable offline): PAGE-01, PAGE-02,
  SORT-01, LIMIT-01 and USER-02 must come out as the summary records them.
- The single-request judgements (AUTH-01, USER-01, LIMIT-02, LIMIT-05, SORT-03, PAGE-03, PAGE-04) are
  made again, each from its one exchange, by the oracle the run used (``rejudge_requests.py``, which says
  which requests those are and what is left unjudged).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import UsageError
from ..http.evidence import crosscut_violations
from ..model.exchange import Exchange
from ..oracles.schema import ResponseValidator
from ..spec.contract import Contract, load_contract
from ..spec.registry import CROSSCUT
from .rejudge_requests import request_problems
from .rejudge_walks import cited_request, walk_problems

__all__ = ["evidence_problems", "exchanges_of_har"]


def exchanges_of_har(har: dict[str, Any], base_url: str) -> Iterator[tuple[Exchange, bool]]:
    """Each HAR entry as the Exchange it was recorded from, and whether its body is whole in the HAR."""
    base = urlsplit(base_url).path.rstrip("/")
    for entry in har.get("log", {}).get("entries", []):
        request, response = entry.get("request", {}), entry.get("response", {})
        url = urlsplit(request.get("url", ""))
        comment = response.get("comment") or ""
        status = response.get("status") or None
        error = comment.split("no response: ", 1)[1].split("; ", 1)[0] if "no response: " in comment else None
        headers = tuple((h["name"], h["value"]) for h in response.get("headers", []))
        text = (response.get("content") or {}).get("text") or ""
        yield Exchange(
            kind=entry.get("comment") or "other", method=request.get("method", ""), base_url=base_url,
            path=url.path[len(base):] if url.path.startswith(base) else url.path,
            params=tuple(parse_qsl(url.query, keep_blank_values=True)),
            request_headers=tuple((h["name"], h["value"]) for h in request.get("headers", [])),
            request_body=(request.get("postData") or {}).get("text"), started_at=_epoch(entry.get("startedDateTime")),
            elapsed_s=float(entry.get("time") or 0) / 1000, status_code=status,
            response_headers=headers, body=text.encode("utf-8"), error=error,
            truncated="truncated" in comment,
        ), "truncated" not in comment


def _epoch(started: Any) -> float:
    try:
        return datetime.fromisoformat(started).timestamp() if isinstance(started, str) else 0.0
    except ValueError:
        return 0.0


def evidence_problems(files: dict[str, bytes], summary: dict[str, Any], har_name: str,
                      spec_name: str) -> list[str]:
    """Why the bundle's recorded exchanges do not give its recorded results (empty: they do)."""
    try:
        har = json.loads(files[har_name].decode("utf-8"))
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{har_name}: not readable as a HAR ({exc})"]
    base_url = summary["target"]["base_url"]
    try:
        recorded = list(exchanges_of_har(har, base_url))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # an entry not shaped as HAR 1.2 says
        return [f"{har_name}: not readable as a HAR ({type(exc).__name__}: {exc})"]
    with tempfile.TemporaryDirectory() as scratch:  # the contract is read from a file, as a run reads it
        path = Path(scratch) / Path(spec_name).name
        path.write_bytes(files[spec_name])
        try:
            contract = load_contract(path)
        except UsageError as exc:
            return [f"the bundle's spec cannot be read again: {exc}"]
    problems = _crosscut_problems(recorded, contract, summary, har_name)
    problems += _unbacked_evidence(recorded, summary, har_name)
    problems += walk_problems([e for e, _ in recorded], contract, summary, har_name)
    problems += request_problems([e for e, _ in recorded], contract, summary, har_name)
    return problems


def _crosscut_problems(recorded: list[tuple[Exchange, bool]], contract: Contract, summary: dict[str, Any],
                       har_name: str) -> list[str]:
    validator = ResponseValidator(contract)
    counts: dict[str, int] = {}
    partial = False  # a body cut in the HAR cannot be judged again: only violations found count then
    for exchange, whole in recorded:
        if not whole and exchange.status_code == 200:
            partial = True
            continue
        for found in crosscut_violations(exchange, validator.crosscut, contract.operation.path):
            counts[found.requirement] = counts.get(found.requirement, 0) + 1
    outcomes = {c["check_id"]: c["outcome"] for c in summary["checks"]}
    problems = []
    for check in CROSSCUT:
        was_failed = outcomes.get(check.key) == "failed"
        is_failed = bool(counts.get(check.name))
        if is_failed and not was_failed:
            problems.append(f"{har_name}: judged again, {counts[check.name]} recorded response(s) violate "
                            f"{check.name}, but summary.json records it {outcomes.get(check.key)!r}")
        elif was_failed and not is_failed and not partial:
            problems.append(f"{har_name}: judged again, no recorded response violates {check.name}, but "
                            "summary.json records it failed")
    return problems


def _unbacked_evidence(recorded: list[tuple[Exchange, bool]], summary: dict[str, Any], har_name: str) -> list[str]:
    seen = {(e.method, e.url, e.status_code) for e, _ in recorded}
    for check in summary["checks"]:
        if check["check_id"].startswith("crosscut::"):
            continue
        for violation in check["violations"]:
            cited = cited_request(violation.get("request"))
            if cited is None or violation.get("status_code") is None:
                continue
            if (*cited, violation["status_code"]) not in seen:
                return [f"summary.json: the evidence of a {violation['requirement']} violation ({cited[0]} "
                        f"{cited[1]} -> {violation['status_code']}) is not among the exchanges in {har_name}"]
    return []

