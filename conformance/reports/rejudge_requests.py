"""The single-request judgements of a certification bundle judged again from its HAR, by the oracles the run used.

A request the suite sends to be refused is judged from its one exchange: ``rejection_violations`` (and, for a
5xx the target gave to every try, ``persistent_server_error``). Which requests those are is read from the
recorded exchange itself, as the run chose them (list requests, kind ``list``, of the spec's operation):

- AUTH-01: a request whose ``Authorization`` header, as recorded, is not the placeholder of either app's key
  (the auth probes; the key is redacted, so the wrong credentials show as the probe wrote them): a 401
  without data is its only right answer;
- USER-01 (required form), LIMIT-02, LIMIT-05, SORT-03: a request sent with the key whose query the
  contract's own rule (``rejection_obligations``) obliges a refusal for, each requirement it names (the
  rejection probes and the schemathesis-generated requests judge every such request so, and no other check
  sends one);
- PAGE-04: the main user's list asked with only ``user`` and a ``last_id`` that no reading takes for a UUID
  (the spec's id format; the malformed-cursor probes);
- PAGE-03: the main user's list asked with only ``user`` and a canonical UUID as ``last_id`` that names no
  conversation the HAR shows anywhere (made, listed, written or asked for by path): the probes of a cursor
  naming nothing. A cursor naming a deleted conversation or another user's, or a cursor of a walk, is
  judged by other checks with their own blame, and is not in this class;
- USER-01 (optional form, where the spec marks ``user`` optional): a request without ``user`` asking for
  the spec's maximum ``limit`` and at most a ``sort_by`` of its enum (the probes of a missing optional
  user), judged by ``without_user_violations``: a 200 holding none of the test users' conversations. For a
  passed USER-01 only such a request sent once: a generated request, which the run does not judge for
  USER-01, may be the very same request, and the HAR does not say which answer was the probe's.

The rule (:func:`request_problems`): a requirement the summary records passed shows no violation on any
such exchange; a violation the summary records, citing such an exchange (its method, URL, Authorization
header and status), shows again there.

Left unjudged, because the evidence does not decide it as the run did:

- a 5xx, a 429 or no answer, for a passed requirement: the run sent a 5xx again and judged the last try,
  and a 429 is no answer to the input; which try ended a probe is not recorded. A recorded violation of a
  persistent 5xx is shown again only by as many 5xx answers to that very request as the run sends;
- conversation data in a refusal, or the test users' conversations in a list without ``user``, for a passed
  requirement: the ids the run knew when it judged are not recorded, so a refusal's ``data`` only is looked
  at (a recorded violation is judged again with every conversation the HAR shows made);
- PAGE-03 and PAGE-04 where the spec gives ids no UUID format, or a PAGE-03 cursor while a body is cut in
  the HAR (the id it names may be in the cut part);
- a recorded violation citing a request that a request of another class also is (same method, URL,
  Authorization and status): which one the run blamed is not recorded; and everything, in a run whose
  requests carry no key (nothing then tells a probe's credentials from the run's own);
- schemathesis' own checks on generated requests: its "accepted negative data" is blamed only on a 2xx with
  an obligation (``st_verdicts``), which ``rejection_violations`` finds too; its other verdicts are ROBUST-01
  and SCHEMA-01, judged again by ``rejudge.py``.
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ..model.exchange import KEY_PLACEHOLDER, OTHER_KEY_PLACEHOLDER, Exchange
from ..model.results import Violation
from ..oracles import Inconclusive
from ..oracles.page import is_server_error
from ..oracles.params import rejection_obligations
from ..oracles.rejection import SERVER_ERROR_TRIES, forbids_server_errors, persistent_server_error, rejection_violations
from ..oracles.users import without_user_violations
from ..spec.catalogue import Req
from ..spec.contract import Contract
from .rejudge_walks import cited_request, main_users, recorded_violations

__all__ = ["REQUEST_REQUIREMENTS", "Judgement", "judgements", "cursor_judgement", "seen_ids", "made_ids",
           "request_problems"]

REQUEST_REQUIREMENTS: tuple[Req, ...] = (Req.AUTH_01, Req.USER_01, Req.LIMIT_02, Req.LIMIT_05, Req.SORT_03,
                                         Req.PAGE_03, Req.PAGE_04)
_VALID_AUTH = (f"Bearer {KEY_PLACEHOLDER}", f"Bearer {OTHER_KEY_PLACEHOLDER}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")  # canonical

Request = tuple[str, str, str | None]  # method, URL, Authorization header as recorded


@dataclass(frozen=True)
class Judgement:
    """What one exchange is judged for: the requirement, why the contract obliges a refusal, the answer wanted."""

    requirement: Req
    why: str
    status: int | None = None  # exactly this status (AUTH-01: 401); None: any 4xx
    served: bool = False  # the optional form of USER-01: served, not refused


def _auth(exchange: Exchange) -> str | None:
    return next((v for k, v in exchange.request_headers if k.lower() == "authorization"), None)


def _request(exchange: Exchange) -> Request:
    return exchange.method, exchange.url, _auth(exchange)


def seen_ids(recorded: Sequence[Exchange]) -> set[str]:
    """Every conversation id the HAR shows other than as a cursor: in any request or response body, or a path."""
    found: set[str] = set()
    for exchange in recorded:
        found.update(m.lower() for m in _UUID.findall(exchange.text))
        found.update(m.lower() for m in _UUID.findall(exchange.request_body or ""))
        found.update(m.lower() for m in _UUID.findall(exchange.path))
    return found


def made_ids(recorded: Sequence[Exchange]) -> set[str]:
    """The conversations the HAR shows made (a create's answer): all the run can have known as its own."""
    found = set()
    for exchange in recorded:
        answer = exchange.json_or_none() if exchange.kind == "create" else None
        made = answer.get("conversation_id") if isinstance(answer, dict) else None
        if isinstance(made, str) and made:
            found.add(made)
    return found


def cursor_judgement(last_id: str, contract: Contract, seen: Collection[str] | None) -> Judgement | None:
    """PAGE-04 for a cursor no reading takes for a UUID, PAGE-03 for a canonical one naming nothing ``seen``
    (None: whether it names something is unknown), else None."""
    if contract.last_id_format != "uuid" or not last_id.strip():  # an empty cursor may be read as none
        return None
    try:
        uuid.UUID(last_id)
    except ValueError:
        return Judgement(Req.PAGE_04, f"last_id={last_id[:40]!r} is not a uuid")
    if seen is not None and _UUID.fullmatch(last_id) and last_id.lower() not in seen:
        return Judgement(Req.PAGE_03, f"last_id={last_id} names no conversation")
    return None


def judgements(exchange: Exchange, contract: Contract, mains: Collection[str],
               seen: Collection[str] | None) -> list[Judgement]:
    """What the run judged this exchange for by itself (see the module's docstring); empty: nothing here."""
    op = contract.operation
    if exchange.kind != "list" or exchange.method != op.method or exchange.path != op.path:
        return []
    if _auth(exchange) not in _VALID_AUTH:
        return [Judgement(Req.AUTH_01, "a request without a valid key", 401)]
    found = [Judgement(r, why) for r, why in rejection_obligations(exchange.params, contract)]
    names = [name for name, _ in exchange.params]
    params = dict(exchange.params)
    if (not contract.user_required and len(set(names)) == len(names) and set(names) <= {op.limit, op.sort}
            and params.get(op.limit) == str(contract.limit.maximum)
            and (op.sort not in params or params[op.sort] in contract.sort.values)):
        found.append(Judgement(Req.USER_01, "user is optional and missing", 200, served=True))
    if sorted(names) == sorted({op.user, op.cursor}) and params[op.user] in mains:
        cursor = cursor_judgement(params[op.cursor], contract, seen)
        found += [cursor] if cursor else []
    return found


def _judged(exchange: Exchange, judgement: Judgement, known_ids: Collection[str]) -> list[Violation]:
    try:
        if judgement.served:
            return without_user_violations(exchange, known_ids) if exchange.status_code is not None else []
        return rejection_violations(exchange, judgement.requirement, judgement.why, known_ids=known_ids,
                                    status=judgement.status)
    except Inconclusive:
        return []


def request_problems(recorded: Sequence[Exchange], contract: Contract, summary: dict[str, Any],
                     har_name: str) -> list[str]:
    """Where the single-request judgements made again disagree with the summary (empty: they agree)."""
    if not any(_auth(e) in _VALID_AUTH for e in recorded):
        return []  # a run without a key: nothing tells a probe's credentials from the run's own
    ids, ours = seen_ids(recorded), made_ids(recorded)
    whole = not any(e.truncated for e in recorded)
    mains = main_users(summary["run_id"], {dict(e.params).get(contract.operation.user, "") for e in recorded})
    judged = [(e, judgements(e, contract, mains, ids if whole else None)) for e in recorded]
    holders: dict[tuple[Request, int | None], list[tuple[Exchange, list[Judgement]]]] = {}
    sent: dict[Request, list[Exchange]] = {}
    for exchange, js in judged:
        holders.setdefault((_request(exchange), exchange.status_code), []).append((exchange, js))
        sent.setdefault(_request(exchange), []).append(exchange)
    status = {r["id"]: r["status"] for r in summary["requirements"]}
    problems = []
    for requirement in REQUEST_REQUIREMENTS:
        if status.get(requirement) != "passed":
            continue
        # A request without user is the probe's only when sent once: a generated one may be the same request.
        shown = next((v for e, js in judged for j in js if j.requirement == requirement
                      and e.status_code is not None and not is_server_error(e)
                      and not (j.served and len(sent[_request(e)]) > 1) for v in _judged(e, j, ())), None)
        if shown is not None:
            problems.append(f"{har_name}: judged again, {_described(shown)} violates {requirement}, but "
                            f"summary.json records {requirement} passed")
    for (request, code), requirement in _cited(summary):
        held = holders.get((request, code), [])
        mine = [(e, j) for e, js in held for j in js if j.requirement == requirement]
        if not held or len(mine) < len(held):
            continue  # not in the HAR (rejudge.py says so), or a request other checks judge too
        if not any(_shows(e, j, sent[request], ours) for e, j in mine):
            problems.append(f"{har_name}: judged again, {request[0]} {request[1]} -> {code} shows no "
                            f"{requirement} violation, but summary.json records one there")
    return problems


def _shows(exchange: Exchange, judgement: Judgement, same: Sequence[Exchange], known_ids: Collection[str]) -> bool:
    """Whether judging the exchange again finds the recorded violation (a 5xx: on every try the run sends,
    among the exchanges of the same request)."""
    if not is_server_error(exchange):
        return bool(_judged(exchange, judgement, known_ids))
    tries = [e for e in same if is_server_error(e)]
    if len(tries) < SERVER_ERROR_TRIES or not forbids_server_errors(judgement.requirement):
        return False
    return bool(persistent_server_error(tries[-SERVER_ERROR_TRIES:], judgement.requirement, judgement.why))


def _cited(summary: dict[str, Any]) -> list[tuple[tuple[Request, int | None], Req]]:
    return [(((*cited, _cited_auth(recorded["request"])), status), requirement)
            for recorded, cited, status, requirement in recorded_violations(summary, REQUEST_REQUIREMENTS)]


def _cited_auth(curl: str) -> str | None:
    """The Authorization header of a violation's curl command (Exchange.curl), as recorded, or None."""
    words = shlex.split(curl)
    headers = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-H"]
    return next((h.partition(": ")[2] for h in headers if h.lower().startswith("authorization: ")), None)


def _described(found: Violation) -> str:
    cited = cited_request(found.request)
    return f"{cited[0]} {cited[1]} -> {found.status_code}" if cited else "an unrecorded request"
