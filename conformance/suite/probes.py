"""Requests and oracles put together for the checks: still no assertions, only violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..data.dataset import Dataset
from ..data.walker import full_walk_pages, page_bound, walk_pages
from ..http.api import ServiceApi
from ..model.exchange import Exchange
from ..model.results import Violation
from ..oracles.page import is_server_error
from ..oracles.rejection import SERVER_ERROR_TRIES, forbids_server_errors, persistent_server_error, rejection_violations
from ..oracles.walk import Walk
from ..spec.catalogue import Req
from ..spec.contract import Contract

__all__ = ["effective_sort", "effective_limit", "judged_walk", "main_walk", "judge_main_walk",
           "full_walk_pages", "known_ids", "refused", "SERVER_ERROR_TRIES"]


def effective_sort(contract: Contract, sort_by: str | None) -> str:
    return sort_by if sort_by is not None else (contract.sort.default or "")


def effective_limit(contract: Contract, limit: int | None) -> int:
    value = limit if limit is not None else contract.limit.default
    if value is None:
        raise ValueError("no limit given and the spec has no default")
    return value


def judged_walk(api: ServiceApi, contract: Contract, dataset: Dataset, *, sort_by: str | None,
                limit: int | None) -> list[Violation]:
    """Walk the main user's list and judge it (the dataset knows how: see its judged_walk); Inconclusive if
    a page is unusable."""
    return dataset.judged_walk(api, sort_by=sort_by, limit=limit, effective_sort=effective_sort(contract, sort_by),
                               effective_limit=effective_limit(contract, limit))


def main_walk(api: ServiceApi, contract: Contract, dataset: Dataset, *, user: str | None = None,
              sort_by: str | None, limit: int | None, pages: int | None = None) -> Walk:
    """Walk the main user's list (or ``user``'s), all of it or its first ``pages`` pages; Inconclusive if a
    page is unusable."""
    return walk_pages(api, user=user or dataset.users.main, sort_by=sort_by, limit=limit,
                      effective_sort=effective_sort(contract, sort_by),
                      effective_limit=effective_limit(contract, limit),
                      bound=page_bound(dataset.total) if pages is None else pages)


def judge_main_walk(walk: Walk, dataset: Dataset,
                    reference: dict[str, dict[str, Any]] | None = None) -> list[Violation]:
    """A walk of the main user's list judged against the run's data (``reference``: more items by id)."""
    return dataset.judged_main_walk(walk, reference)


def known_ids(dataset: Dataset) -> set[str]:
    """Every conversation the run made, deleted ones included: no stranger may see any."""
    owned = {c for ids in dataset.owned_ids.values() for c in ids}
    return {*dataset.main_ids, *dataset.twin_ids, *dataset.deleted_ids, *owned}


def refused(send: Callable[[], Exchange], requirement: Req, why: str, *, first: Exchange | None = None,
            **judged: Any) -> list[Violation]:
    """Was the request refused (see rejection_violations)? ``first``: its answer, if already sent.

    A 5xx is sent again: one that persists is blamed on the requirement where the catalogue says a repeated
    5xx breaks it (AUTH-01, LIMIT-02, PAGE-03); a passing one, or one elsewhere, leaves the probe
    undecided (Inconclusive).
    """
    exchange = first if first is not None else send()
    if not is_server_error(exchange) or not forbids_server_errors(requirement):
        return rejection_violations(exchange, requirement, why, **judged)
    tries = [exchange]
    while len(tries) < SERVER_ERROR_TRIES and is_server_error(tries[-1]):
        tries.append(send())
    if is_server_error(tries[-1]):
        return persistent_server_error(tries, requirement, why)
    return rejection_violations(tries[-1], requirement, why, **judged)
