"""USER-01 (optional form) and USER-02: a user's list holds only that user's conversations, whatever
the sort, the cursor, or how near another user's id is to it."""

from __future__ import annotations

import pytest

from conformance.checks import SoftChecks, expect, inconclusive
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import parse_page
from conformance.probes import known_ids


def _strangers(page, allowed):
    return [i for i in page.ids if i not in allowed]


@pytest.mark.requirement("USER-01")
def test_a_missing_optional_user_sees_none_of_the_test_data(api, contract, dataset):
    """Without user (optional in the spec): 200 holding none of the test users' conversations"""
    if contract.user_required:
        pytest.skip("the spec marks user required: the required form of USER-01 applies")
    ours = known_ids(dataset)
    soft = SoftChecks()
    for sort_by in (None, *contract.sort.values):
        exchange = api.list(limit=contract.limit.maximum, sort_by=sort_by)
        if exchange.status_code is not None and exchange.status_code != 200 and exchange.status_code < 500:
            soft.add([violation("USER-01", f"user is optional in the spec, but a request without it was answered "
                                f"{exchange.status_code}", exchange)])
            continue
        try:
            page = parse_page(exchange)
        except Inconclusive as error:
            soft.undecidable(error)
            continue
        leaked = [i for i in page.ids if i in ours]
        soft.add([violation("USER-01", f"a request without user lists {len(leaked)} of the test users' "
                            f"conversations, e.g. {leaked[0]}", exchange)] if leaked else [])
    soft.finish()


@pytest.mark.requirement("USER-02")
def test_each_users_list_holds_only_their_conversations(api, contract, dataset):
    """The main user and a near-identical twin see only their own conversations, under every sort"""
    if not dataset.owner_known:
        expect(_read_only_overlap(dataset))
        return
    if not dataset.twin_ids:
        pytest.skip("no second user with data in this run")
    soft = SoftChecks()
    owners = [(dataset.users.main, set(dataset.main_ids))]
    if dataset.twin_ids:
        owners.append((dataset.users.twin, set(dataset.twin_ids)))
    for user, own in owners:
        for sort_by in (None, *contract.sort.values):
            try:
                page = parse_page(exchange := api.list(user=user, sort_by=sort_by, limit=contract.limit.maximum))
            except Inconclusive as error:
                soft.undecidable(error)
                continue
            strangers = _strangers(page, own)
            soft.add([violation("USER-02", f"user {user!r} (sort_by={sort_by}) sees {len(strangers)} conversation(s) "
                                f"of another user, e.g. {strangers[0]}", exchange)] if strangers else [])
    soft.finish()


def _read_only_overlap(dataset):
    """Read-only: the full walks of --user and --other-user must list no conversation in common.

    Without --other-user nothing proves an item belongs to someone else: the near-miss ids judge USER-02.
    """
    if dataset.other is None:
        inconclusive("read-only without --other-user: whose an item is cannot be proven, so USER-02 is judged "
                     "by the near-miss user ids alone")
    found = []
    for listing, other in ((dataset.listing, dataset.other), (dataset.other, dataset.listing)):
        for sort_by, walk in listing.walks.items():
            hit = next(((page, i) for page in walk.pages for i in page.ids if i in other.items), None)
            if hit is not None:
                page, conversation_id = hit
                found.append(violation("USER-02", f"user {listing.user!r} (sort_by={sort_by}) is listed "
                                       f"conversation {conversation_id}, which {other.user!r} is listed too: the "
                                       "two users' lists are not disjoint", page.exchange))
                break
    return found


@pytest.mark.requirement("USER-02")
def test_near_identical_user_ids_see_no_test_data(api, contract, dataset):
    """Ids a sloppy match would confuse (LIKE wildcards, prefixes, case, full-width, accents) see nothing of ours"""
    ours = known_ids(dataset)
    soft = SoftChecks()
    for probe in dataset.users.probes:
        try:
            page = parse_page(exchange := api.list(user=probe, limit=contract.limit.maximum))
        except Inconclusive as error:
            soft.undecidable(error)
            continue
        leaked = [i for i in page.ids if i in ours]
        soft.add([violation("USER-02", f"user {probe!r} sees {len(leaked)} conversation(s) of "
                            f"{dataset.users.main!r} or its twin, e.g. {leaked[0]}", exchange)] if leaked else [])
    soft.finish()


@pytest.mark.requirement("USER-02", "PAGE-03")
def test_another_users_conversation_is_no_cursor(api, dataset):
    """Another user's conversation id as last_id: a 4xx (PAGE-03), and never that user's data (USER-02)"""
    if not dataset.twin_ids:
        inconclusive("no second user with data in this run (read-only: --other-user names one)")
    found = []
    for owner, cursor, other_ids in ((dataset.users.main, dataset.twin_ids[0], set(dataset.twin_ids)),
                                     (dataset.users.twin, dataset.main_ids[0], set(dataset.main_ids))):
        exchange = api.list(user=owner, last_id=cursor)
        if exchange.status_code is None or exchange.status_code >= 500:
            continue
        if exchange.status_code == 200:
            try:
                page = parse_page(exchange)
            except Inconclusive:
                continue
            leaked = [i for i in page.ids if i in other_ids]
            if leaked:
                found.append(violation("USER-02", f"user {owner!r} with another user's conversation as last_id "
                                       f"is served {len(leaked)} of that user's conversations", exchange))
            else:
                found.append(violation("PAGE-03", f"user {owner!r} with another user's conversation as last_id "
                                       "(one that is not theirs) is served a page instead of a 4xx", exchange))
        elif not 400 <= exchange.status_code < 500:
            found.append(violation("PAGE-03", f"another user's conversation as last_id: answered "
                                   f"{exchange.status_code}, expected a 4xx", exchange))
    expect(found)
