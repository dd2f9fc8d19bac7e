"""Requests and oracles put together for the checks: still no assertions, only violations."""

from __future__ import annotations

from .api import ServiceApi
from .contract import Contract
from .dataset import Dataset
from .oracles.page import Page, parse_page
from .oracles.walk import judge_walk
from .results import Violation
from .walker import page_bound, walk_pages

__all__ = ["effective_sort", "effective_limit", "judged_walk", "first_page", "known_ids"]


def effective_sort(contract: Contract, sort_by: str | None) -> str:
    return sort_by if sort_by is not None else (contract.sort.default or "")


def effective_limit(contract: Contract, limit: int | None) -> int:
    value = limit if limit is not None else contract.limit.default
    if value is None:
        raise ValueError("no limit given and the spec has no default")
    return value


def judged_walk(api: ServiceApi, contract: Contract, dataset: Dataset, *, user: str | None = None,
                sort_by: str | None, limit: int | None) -> list[Violation]:
    """Walk the main user's list (or ``user``'s) and judge it; Inconclusive if a page is unusable.

    Read-only: the full walk at the largest limit is the one already made; any other limit is walked
    over a window of the list (readonly.py), so the cost does not grow with the conversations.
    """
    from .readonly import ReadOnlyDataset

    lim = effective_limit(contract, limit)
    if isinstance(dataset, ReadOnlyDataset) and user is None:
        return dataset.judged_walk(api, sort_by=sort_by, limit=limit, effective_sort=effective_sort(contract, sort_by),
                                   effective_limit=lim)
    walk = walk_pages(api, user=user or dataset.users.main, sort_by=sort_by, limit=limit,
                      effective_sort=effective_sort(contract, sort_by), effective_limit=lim,
                      bound=page_bound(dataset.total))
    return judge_walk(walk, expected=set(dataset.main_ids), owner_known=dataset.owner_known)


def first_page(api: ServiceApi, user: str, *, limit: int | str | None = None, sort_by: str | None = None) -> Page:
    return parse_page(api.list(user=user, limit=limit, sort_by=sort_by))


def known_ids(dataset: Dataset) -> set[str]:
    return {*dataset.main_ids, *dataset.twin_ids}
