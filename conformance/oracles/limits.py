"""The limit on a page: how many items it obliges (LIMIT-01, LIMIT-03), and the one rule for the
response's ``limit`` field, its echo, that every oracle reading a page uses.

The echo is LIMIT-04's: the catalogue says "the response's `limit` equals the limit in effect". The
limit in effect is the one asked; without one, the one the target applies. So without a limit sent:

- an echo that says the size the target's pages really have (a page served while more followed) is
  true, and tells of another default: LIMIT-03 (the default does not apply), not LIMIT-04;
- an echo that says another size than those pages, or fewer items than the page holds: LIMIT-04;
- where no page shows the size the target applies and the echo is no fewer than the items served,
  the echo may be a true other default (LIMIT-03) or a wrong echo (LIMIT-04): the page cannot tell
  which, and blames neither (full pages, elsewhere, decide).

An echo that is not an integer is the schema's to report (SCHEMA-01, SCHEMA-02), not the limit's.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import Inconclusive, size_requirement, violation
from .page import Page, is_client_error, parse_page

__all__ = ["echoed_limit", "served_size", "echo_requirement", "echo_violations", "first_page_violations"]


def echoed_limit(page: Page) -> int | None:
    """The response's ``limit`` when it is an integer (else the schema judges it, not the echo)."""
    return page.limit if isinstance(page.limit, int) and not isinstance(page.limit, bool) else None


def served_size(pages: Sequence[Page]) -> int | None:
    """The size the target serves while more follow, as a walk's pages show it: its first non-empty
    page's, when another non-empty page follows; None when no page shows it."""
    nonempty = [p for p in pages if p.items]
    return len(nonempty[0].items) if len(nonempty) > 1 else None


def echo_requirement(page: Page, *, limit: int, limit_explicit: bool, served: int | None = None) -> Req | None:
    """The requirement the page's ``limit`` field breaks, or None (right, not an integer, or undecidable).

    ``limit``: the limit asked, or without one the spec's default; ``served``: the size the target's
    pages have while more follow, where the evidence shows it (served_size), else None.
    """
    echoed = echoed_limit(page)
    if echoed is None or echoed == limit:
        return None
    if limit_explicit:
        return Req.LIMIT_04
    if served is not None:
        return Req.LIMIT_03 if echoed == served else Req.LIMIT_04
    return Req.LIMIT_04 if echoed < len(page.items) else None


def echo_violations(pages: Sequence[Page], *, limit: int, limit_explicit: bool, served: int | None,
                    where: str) -> list[Violation]:
    """The echoes of these pages (one request each) judged: one violation per requirement they break,
    the first page that breaks it its evidence."""
    broken: dict[Req, list[Page]] = {}
    for page in pages:
        requirement = echo_requirement(page, limit=limit, limit_explicit=limit_explicit, served=served)
        if requirement is not None:
            broken.setdefault(requirement, []).append(page)
    found: list[Violation] = []
    for requirement, wrong in broken.items():
        first = wrong[0]
        why = ("the size the target's pages have: the default in effect is not the spec's"
               if requirement is Req.LIMIT_03 else "not the limit in effect")
        found.append(violation(requirement, f"{where}: on {len(wrong)} page(s) the response says limit="
                               f"{first.limit!r} ({why}); the limit in effect is {limit}", first.exchange))
    return found


def first_page_violations(exchange: Exchange, *, limit: int, limit_explicit: bool, total: int) -> list[Violation]:
    """A first page over a user with ``total`` conversations at ``limit`` (asked, or without one the
    spec's default): min(limit, total) items (LIMIT-01, LIMIT-03), and its echo.

    An in-range limit refused with a 4xx is not served: LIMIT-01. A 429 left after the client's retries
    refuses the rate, not the limit: nothing is decided.
    """
    where = f"limit={limit}" if limit_explicit else f"no limit (default {limit})"
    if exchange.status_code == 429:
        raise Inconclusive(f"{exchange.describe()}: still throttled (429) after retries, not an answer to limit")
    if limit_explicit and is_client_error(exchange):
        return [violation(Req.LIMIT_01, f"limit={limit} is within the spec's bounds but was refused", exchange)]
    page = parse_page(exchange)
    found: list[Violation] = []
    wanted = min(limit, total)
    if len(page.items) != wanted:
        found.append(violation(size_requirement(limit_explicit), f"{where} with {total} conversations: "
                               f"{len(page.items)} items, expected {wanted}", exchange))
    # A page short of the conversations shows the size the target serves while more follow.
    served = len(page.items) if len(page.items) < total else None
    return found + echo_violations([page], limit=limit, limit_explicit=limit_explicit, served=served, where=where)
