"""The limit oracle: page sizes at a limit, and the one rule for the response's `limit` (its echo),
judged alike wherever a page is read (walks, windows, the lifecycle, first pages)."""

from __future__ import annotations

import pytest

from conformance.oracles import Inconclusive
from conformance.oracles.lifecycle import judge_page
from conformance.oracles.lifecycle_model import LifecycleModel
from conformance.oracles.limits import echo_requirement, echo_violations, first_page_violations, served_size
from conformance.oracles.walk import Walk, judge_walk
from conformance.oracles.window import judge_window
from conformance.spec.catalogue import Req

from .conftest import exchange, item, page

ITEMS = [item(f"c{i}", 10 - i) for i in range(7)]  # descending by created_at, no ties
IDS = [i["id"] for i in ITEMS]


def requirements(found):
    return sorted({v.requirement for v in found})


def listing(items, *, limit, has_more=False, status=200):
    return exchange(status, {"limit": limit, "has_more": has_more, "data": list(items)})


@pytest.mark.parametrize(("echo", "explicit", "served", "count", "expected"), [
    (3, True, None, 3, None),  # the limit asked
    (3, False, None, 3, None),  # the default
    ("3", True, None, 3, None),  # not an integer: the schema's
    (None, False, None, 3, None),
    (True, True, None, 3, None),
    (2, True, None, 2, Req.LIMIT_04),  # asked 3, says 2
    (2, False, 2, 2, Req.LIMIT_03),  # no limit: says the size its full pages have, another default
    (4, False, 2, 2, Req.LIMIT_04),  # no limit: says neither the default nor the size it serves
    (1, False, None, 2, Req.LIMIT_04),  # says fewer than it served
    (2, False, None, 2, None),  # nothing shows the size served: a count, or a true other default
    (5, False, None, 2, None),
])
def test_the_echo_rule(echo, explicit, served, count, expected):
    shown = page(ITEMS[:count], False, limit=echo)
    assert echo_requirement(shown, limit=3, limit_explicit=explicit, served=served) is expected


def test_the_size_served_shows_only_where_more_followed():
    assert served_size([page(ITEMS[0:3], True), page(ITEMS[3:6], True), page(ITEMS[6:], False)]) == 3
    assert served_size([page(ITEMS[0:3], True), page([], False)]) is None  # the only non-empty page may be all
    assert served_size([]) is None


def test_wrong_echoes_are_one_violation_per_requirement_with_the_first_as_evidence():
    pages = [page(ITEMS[0:3], True, limit=9), page(ITEMS[3:6], True, limit=3), page(ITEMS[6:], False, limit=8)]
    (found,) = echo_violations(pages, limit=3, limit_explicit=True, served=3, where="w")
    assert found.requirement == Req.LIMIT_04 and "on 2 page(s)" in found.message
    assert found.request == pages[0].exchange.curl()
    assert echo_violations(pages[1:2], limit=3, limit_explicit=True, served=3, where="w") == []


def _default_walk(chunks, echoes, *, explicit=False):
    pages = tuple(page(chunk, index < len(chunks) - 2, limit=echo)
                  for index, (chunk, echo) in enumerate(zip(chunks, echoes, strict=True)))
    return Walk("-created_at", 3, True, pages, "empty", bound=9, limit_explicit=explicit)


CHUNKS = [ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []]


@pytest.mark.parametrize(("echoes", "explicit", "expected"), [
    ([3, 3, 3, 3], False, []),
    ([3, 3, 1, 0], False, [Req.LIMIT_04]),  # a count of the items, not the default in effect
    ([3, 3, 1, 0], True, [Req.LIMIT_04]),
    ([3, 9, 3, 3], True, [Req.LIMIT_04]),
])
def test_walks_and_windows_judge_the_echo_alike(echoes, explicit, expected):
    walk = _default_walk(CHUNKS, echoes, explicit=explicit)
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == expected
    assert requirements(judge_window(walk, reference={i["id"]: i for i in ITEMS})) == expected


def test_the_lifecycle_judges_the_echo_by_the_same_rule():
    model = LifecycleModel(["u"])
    for conversation in ITEMS[:4]:
        model.created("u", conversation["id"], strict=False)
    model.learn("u", ITEMS[:4])
    default = model.predict("u", sort_value="-created_at", limit=3, limit_explicit=False)
    # Three of four with more to come: the echo must say the 3 served; a count of 3 is right.
    assert judge_page(default, listing(ITEMS[:3], limit=3, has_more=True)) == []
    assert requirements(judge_page(default, listing(ITEMS[:3], limit=2, has_more=True))) == [Req.LIMIT_04]
    explicit = model.predict("u", sort_value="-created_at", limit=5)
    assert requirements(judge_page(explicit, listing(ITEMS[:4], limit=4))) == [Req.LIMIT_04]
    assert judge_page(explicit, listing(ITEMS[:4], limit=5)) == []


def test_a_first_page_at_a_limit_is_served_exactly_and_echoed():
    assert first_page_violations(listing(ITEMS[:5], limit=5), limit=5, limit_explicit=True, total=7) == []
    assert requirements(first_page_violations(listing(ITEMS[:4], limit=5), limit=5, limit_explicit=True,
                                              total=7)) == [Req.LIMIT_01]
    (echo,) = first_page_violations(listing(ITEMS[:5], limit=4), limit=5, limit_explicit=True, total=7)
    assert echo.requirement == Req.LIMIT_04 and "limit=4" in echo.message
    assert first_page_violations(listing(ITEMS, limit=9), limit=9, limit_explicit=True, total=7) == []
    assert first_page_violations(listing(ITEMS[:5], limit=None), limit=5, limit_explicit=True, total=7) == []


def test_an_in_range_limit_refused_is_limit_01_and_a_throttle_decides_nothing():
    refused = exchange(400, {"code": "invalid_param"})
    assert requirements(first_page_violations(refused, limit=5, limit_explicit=True, total=7)) == [Req.LIMIT_01]
    with pytest.raises(Inconclusive):
        first_page_violations(exchange(429, {"code": "too_many"}), limit=5, limit_explicit=True, total=7)
    with pytest.raises(Inconclusive) as error:
        first_page_violations(exchange(503, {"code": "x"}), limit=5, limit_explicit=True, total=7)
    assert error.value.owners == (Req.ROBUST_01,)


def test_without_limit_the_default_applies_and_the_echo_follows_the_rule():
    assert first_page_violations(listing(ITEMS[:3], limit=3), limit=3, limit_explicit=False, total=7) == []
    # Another default, said truthfully: the default does not apply (the size and the echo show it).
    other = first_page_violations(listing(ITEMS[:2], limit=2), limit=3, limit_explicit=False, total=7)
    assert requirements(other) == [Req.LIMIT_03]
    assert requirements(first_page_violations(listing(ITEMS[:3], limit=7), limit=3, limit_explicit=False,
                                              total=7)) == [Req.LIMIT_04]
    # All of the user's conversations on the page: a count and a true other default look the same.
    assert first_page_violations(listing(ITEMS, limit=7), limit=20, limit_explicit=False, total=7) == []
    assert requirements(first_page_violations(listing(ITEMS, limit=5), limit=20, limit_explicit=False,
                                              total=7)) == [Req.LIMIT_04]
    with pytest.raises(Inconclusive):  # a refusal without a limit is no page to judge
        first_page_violations(exchange(400, {"code": "x"}), limit=3, limit_explicit=False, total=7)
