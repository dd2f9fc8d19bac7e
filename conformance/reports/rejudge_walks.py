"""The walks of a certification bundle judged again from its HAR, by the oracle the run used (``judge_walk``).

Reconstructed from the recorded exchanges, in order of ``startedDateTime``:

- the test data, per app (the key placeholder a request carried) and user: the conversations created
  (a create answered 2xx, its id from the response body) and deleted (a delete answered 2xx or 404),
  and every write (create, message, rename, delete) as the span from its start to its answer;
- the walks: chains of list requests (kind ``list``) of one app, user, ``sort_by`` and ``limit``, the
  first without ``last_id``, each next one with the id of the last item of the page before it as its
  ``last_id``, sent after that page was answered (the walker's own rule, ``data/walker.py``).

Judged offline is only what the evidence decides, as the run decided it:

- walks of the run's main user (the test-data protocol's user whose list the page checks walk with
  ``judge_walk``; other users' lists are judged by other oracles, with their own blame), through the
  app that made that user's data;
- whose data did not change during the walk: no write of that user from the walk's first request to its
  last answer, and every earlier write answered for certain (a 5xx or no answer may or may not have
  written: that user's later walks are left alone);
- whole walks: every page a 200 with its body whole in the HAR and the walk ended as the walker ends
  one (an empty page, a loop, a refused cursor, or the run's page bound); parameters the spec allows
  (an integer limit within its bounds, a ``sort_by`` of its enum);
- a walk that lists another user's conversations is judged for USER-02 only: what it shows of paging
  depends on that other user's data, which may have changed under it.

The requirements so re-derived are :data:`WALK_REQUIREMENTS`. The rule (:func:`walk_problems`): one the
summary records passed shows no violation on any judged walk; a violation the summary records, citing
a request that only judged walks hold, shows again on one of those walks.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..data.users import TestUsers
from ..data.walker import page_bound
from ..model.exchange import Exchange
from ..model.results import Violation
from ..oracles import Inconclusive
from ..oracles.page import Page, is_server_error, parse_page
from ..oracles.walk import StopReason, Walk, judge_walk, stranger_violations
from ..spec.catalogue import Req
from ..spec.contract import Contract

__all__ = ["WALK_REQUIREMENTS", "walk_problems", "JudgedWalk", "judged_walks", "cited_request", "main_users",
           "recorded_violations"]

# What a walk judges by itself (spec/registry.py: the page checks' PAGE-01, PAGE-02; SORT-01 inside and
# across pages, LIMIT-01 on page sizes, USER-02 for strangers). LIMIT-04 and the defaults' SORT-02 and
# LIMIT-03 are left to the run: their blame depends on more than the walk.
WALK_REQUIREMENTS: tuple[Req, ...] = (Req.PAGE_01, Req.PAGE_02, Req.SORT_01, Req.LIMIT_01, Req.USER_02)
_MARGIN_S = 0.002  # startedDateTime is cut to milliseconds: spans this close may overlap
_WRITES = ("create", "message", "rename", "delete")


@dataclass
class _Data:
    """One app's user along the run: what was made and deleted when, and when it was written at all."""

    created: list[tuple[float, str]] = field(default_factory=list)  # (answered at, id)
    deleted: list[tuple[float, str]] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)  # every write, sent to answered
    uncertain_from: float | None = None  # the first write that may or may not have happened

    def stable(self, start: float, end: float) -> bool:
        if self.uncertain_from is not None and self.uncertain_from <= end + _MARGIN_S:
            return False
        return not any(s <= end + _MARGIN_S and e >= start - _MARGIN_S for s, e in self.spans)

    def at(self, moment: float) -> tuple[set[str], set[str]]:
        """The live and the deleted conversations as of ``moment``."""
        deleted = {c for t, c in self.deleted if t < moment}
        return {c for t, c in self.created if t < moment} - deleted, deleted


@dataclass
class _Chain:
    key: tuple[str, str, str | None, str | None]  # app, user, sort_by, limit (as sent)
    exchanges: list[Exchange]
    pages: list[Page] = field(default_factory=list)
    cursors: set[str] = field(default_factory=set)
    stop: StopReason | None = None  # None: open, or broken off (then ``broken``)
    broken: bool = False
    rejected: Exchange | None = None


@dataclass(frozen=True)
class JudgedWalk:
    walk: Walk
    exchanges: tuple[Exchange, ...]
    judges: frozenset[Req]  # the requirements this walk decides offline
    violations: tuple[Violation, ...]


def _end(exchange: Exchange) -> float:
    return exchange.started_at + exchange.elapsed_s


def _auth(exchange: Exchange) -> str:
    return next((v for k, v in exchange.request_headers if k.lower() == "authorization"), "")


def _write_user(exchange: Exchange) -> tuple[str | None, dict[str, Any]]:
    try:
        body = json.loads(exchange.request_body or "")
    except ValueError:
        return None, {}
    if not isinstance(body, dict):
        return None, {}
    user = body.get("user")
    return (user if isinstance(user, str) else None), body


def _test_data(recorded: Sequence[Exchange]) -> tuple[dict[tuple[str, str], _Data], list[tuple[float, float]]]:
    """Every (app, user)'s data, and the spans of writes whose user cannot be read (they count for all)."""
    data: dict[tuple[str, str], _Data] = {}
    unknown: list[tuple[float, float]] = []
    for exchange in recorded:
        if exchange.kind not in _WRITES and exchange.method == "GET":
            continue
        user, body = _write_user(exchange)
        span = (exchange.started_at, _end(exchange))
        if user is None:
            unknown.append(span)
            continue
        mine = data.setdefault((_auth(exchange), user), _Data())
        mine.spans.append(span)
        status = exchange.status_code
        if status is None or is_server_error(exchange):
            mine.uncertain_from = exchange.started_at if mine.uncertain_from is None else mine.uncertain_from
            continue
        if exchange.kind == "create" and 200 <= status < 300 and "conversation_id" not in body:
            answer = exchange.json_or_none()
            made = answer.get("conversation_id") if isinstance(answer, dict) else None
            if isinstance(made, str) and made:
                mine.created.append((span[1], made))
            else:
                mine.uncertain_from = exchange.started_at if mine.uncertain_from is None else mine.uncertain_from
        elif exchange.kind == "delete" and (200 <= status < 300 or status == 404):
            mine.deleted.append((span[1], exchange.path.rstrip("/").rsplit("/", 1)[-1]))
    return data, unknown


def _list_key(exchange: Exchange, contract: Contract) -> tuple[tuple[str, str, str | None, str | None],
                                                               str | None] | None:
    """(app, user, sort_by, limit) and last_id of a list request a walk may have sent, or None."""
    op = contract.operation
    if exchange.kind != "list" or exchange.method != op.method or exchange.path != op.path:
        return None
    names = [name for name, _ in exchange.params]
    if len(set(names)) != len(names) or not set(names) <= {op.user, op.limit, op.sort, op.cursor}:
        return None
    params = dict(exchange.params)
    user, limit, sort_by = params.get(op.user), params.get(op.limit), params.get(op.sort)
    if user is None:
        return None
    if limit is None and contract.limit.default is None:
        return None
    if limit is not None and not (limit.isdigit() and str(int(limit)) == limit and contract.limit.in_range(int(limit))):
        return None
    if sort_by is not None and sort_by not in contract.sort.values:
        return None
    return (_auth(exchange), user, sort_by, limit), params.get(op.cursor)


def _chains(recorded: Sequence[Exchange], contract: Contract) -> list[_Chain]:
    """The walks as the walker sent them: each next page asked with the last id of the page before."""
    chains: list[_Chain] = []
    waiting: dict[tuple[Any, ...], list[_Chain]] = {}
    for exchange in recorded:
        keyed = _list_key(exchange, contract)
        if keyed is None:
            continue
        key, last_id = keyed
        if last_id is None:
            chain = _Chain(key, [exchange])
            chains.append(chain)
        else:
            queue = waiting.get((key, last_id), [])
            ready = [c for c in queue if _end(c.exchanges[-1]) <= exchange.started_at + _MARGIN_S]
            if not ready:
                continue  # a cursor of a probe, not of a walk
            chain = ready[0]
            queue.remove(chain)
            if len({_seen(c) for c in ready}) > 1:
                # Walks of the same request that saw different pages: which one this page continues is not
                # recorded, and another pairing would be a walk nobody made. Neither is judged.
                for other in ready:
                    other.broken = True
                    if other is not chain:
                        queue.remove(other)
                continue
            chain.exchanges.append(exchange)
        _follow(chain, exchange, last_id)
        if chain.stop is None and not chain.broken:
            waiting.setdefault((key, chain.pages[-1].last_id), []).append(chain)
    return chains


def _seen(chain: _Chain) -> tuple[tuple[tuple[str, ...], Any, Any], ...]:
    return tuple((tuple(page.ids), page.has_more, page.limit) for page in chain.pages)


def _follow(chain: _Chain, exchange: Exchange, last_id: str | None) -> None:
    """One more answer of a walk, taken as walker.walk_pages takes it."""
    status = exchange.status_code
    if last_id is not None and status is not None and status != 200 and not is_server_error(exchange):
        chain.stop, chain.rejected = "rejected", exchange
        return
    try:
        page = parse_page(exchange)
    except Inconclusive:
        chain.broken = True  # the run could not judge this walk either
        return
    chain.pages.append(page)
    if not page.items:
        chain.stop = "empty"
        return
    if last_id is not None:
        chain.cursors.add(last_id)
    if page.last_id in chain.cursors:
        chain.stop = "loop"


def main_users(run_id: str, users: Iterable[str]) -> set[str]:
    """The main users of the test-data protocol among ``users`` (one per xdist worker, if any)."""
    stem, main = f"dify-conformance-{run_id}-", TestUsers.for_run(run_id).main
    found = set()
    for user in users:
        worker = user.removeprefix(stem).removesuffix("-alice")
        if user == main or (user.startswith(stem) and TestUsers.for_run(run_id, worker).main == user):
            found.add(user)
    return found


def judged_walks(recorded: Sequence[Exchange], contract: Contract, run_id: str) -> list[JudgedWalk]:
    """Every walk of the main user decidable offline (see the module's docstring), judged by judge_walk."""
    ordered = sorted(recorded, key=lambda e: e.started_at)
    data, unknown = _test_data(ordered)
    mains = main_users(run_id, {user for _, user in data})
    judged = []
    for chain in _chains(ordered, contract):
        app, user, sort_by, limit = chain.key
        mine = data.get((app, user))
        if user not in mains or mine is None or not mine.created or chain.broken or not chain.pages:
            continue
        start, end = chain.exchanges[0].started_at, _end(chain.exchanges[-1])
        if not mine.stable(start, end) or any(s <= end + _MARGIN_S and e >= start - _MARGIN_S for s, e in unknown):
            continue
        expected, deleted = mine.at(start)
        bound = page_bound(len(expected))
        stop = chain.stop or ("bound" if len(chain.pages) == bound else None)
        if stop is None:
            continue  # the walk was cut short by its check, or lost: nothing to judge
        effective_limit = int(limit) if limit is not None else contract.limit.default
        assert effective_limit is not None  # _list_key keeps no walk without a limit in effect
        walk = Walk(sort_by if sort_by is not None else (contract.sort.default or ""), effective_limit,
                    sort_by is not None, tuple(chain.pages), stop, chain.rejected, bound,
                    limit_explicit=limit is not None)
        strangers = stranger_violations(walk, expected=expected, owner_known=True, deleted=deleted)
        judges = (frozenset({Req.USER_02}) if any(v.requirement == Req.USER_02 for v in strangers)
                  else frozenset(WALK_REQUIREMENTS))
        found = judge_walk(walk, expected=expected, owner_known=True, deleted=deleted)
        judged.append(JudgedWalk(walk, tuple(chain.exchanges), judges,
                                 tuple(v for v in found if v.requirement in judges)))
    return judged


def walk_problems(recorded: Sequence[Exchange], contract: Contract, summary: dict[str, Any],
                  har_name: str) -> list[str]:
    """Where the walks judged again disagree with the summary's walk requirements (empty: they agree)."""
    walks = judged_walks(recorded, contract, summary["run_id"])
    status = {r["id"]: r["status"] for r in summary["requirements"]}
    problems = []
    for requirement in WALK_REQUIREMENTS:
        if status.get(requirement) != "passed":
            continue
        shown = next((v for w in walks for v in w.violations if v.requirement == requirement), None)
        if shown is not None:
            problems.append(f"{har_name}: judged again, a walk shows a {requirement} violation at {_request(shown)}, "
                            f"but summary.json records {requirement} passed")
    in_walks: dict[tuple[str, str, int | None], list[JudgedWalk]] = {}
    for judged in walks:
        for exchange in judged.exchanges:
            in_walks.setdefault((exchange.method, exchange.url, exchange.status_code), []).append(judged)
    counts: dict[tuple[str, str, int | None], int] = {}
    for exchange in recorded:
        request = (exchange.method, exchange.url, exchange.status_code)
        counts[request] = counts.get(request, 0) + 1
    for cited, requirement in _cited_walk_violations(summary):
        holders = in_walks.get(cited, [])
        # Cited by a request some probe outside the judged walks also sent: the evidence does not say which.
        if not holders or len(holders) < counts.get(cited, 0) or any(requirement not in h.judges for h in holders):
            continue
        if not any(v.requirement == requirement for h in holders for v in h.violations):
            problems.append(f"{har_name}: judged again, the walk holding {cited[0]} {cited[1]} -> {cited[2]} "
                            f"shows no {requirement} violation, but summary.json records one there")
    return problems


def cited_request(curl: str | None) -> tuple[str, str] | None:
    """The method and URL of a violation's curl command (Exchange.curl), or None."""
    if not curl:
        return None
    try:
        words = shlex.split(curl)
    except ValueError:
        return None
    method = words[words.index("-X") + 1] if "-X" in words[:-1] else "GET"
    return method, words[-1]


def recorded_violations(summary: dict[str, Any], requirements: Collection[Req]) -> Iterator[
        tuple[dict[str, Any], tuple[str, str], int, Req]]:
    """The violations the summary's checks recorded (the cross-cutting ones left out) of these
    requirements, each with its cited request (method, URL) and status: what the HAR must show again."""
    for check in summary["checks"]:
        if check["check_id"].startswith("crosscut::"):
            continue
        for recorded in check["violations"]:
            cited = cited_request(recorded.get("request"))
            if cited is None or recorded.get("status_code") is None or recorded["requirement"] not in requirements:
                continue
            yield recorded, cited, recorded["status_code"], Req(recorded["requirement"])


def _cited_walk_violations(summary: dict[str, Any]) -> list[tuple[tuple[str, str, int | None], Req]]:
    return [((*cited, status), requirement)
            for _, cited, status, requirement in recorded_violations(summary, WALK_REQUIREMENTS)]


def _request(found: Violation) -> str:
    cited = cited_request(found.request)
    return f"{cited[0]} {cited[1]} -> {found.status_code}" if cited else "an unrecorded request"
