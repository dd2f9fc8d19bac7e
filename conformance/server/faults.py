"""The fault registry, as data: each fault is one named deviation from Dify's behaviour and names the
requirements it breaks, and any requirement it breaks as a consequence (``collateral``, with the
reason), so the suite's self-tests can assert that exactly those fail, no more, no fewer.

Every fault is off unless named with ``--fault``. The code asks ``"name" in faults``; an unregistered
name there is a programming error and raises, so a typo can never silently disable a fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..spec.catalogue import Req

__all__ = ["Fault", "FAULTS", "Faults", "UnknownFault"]


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    breaks: tuple[Req, ...]
    description: str
    # (requirement, why): what the deviation also breaks by a reading of the catalogue that a
    # conforming implementation would share; never a suite mis-blame declared away.
    collateral: tuple[tuple[Req, str], ...] = ()

    @property
    def fails(self) -> frozenset[Req]:
        """Every requirement a run against this fault must fail: no more, no fewer."""
        return frozenset(self.breaks) | {requirement for requirement, _ in self.collateral}


_REGISTRY: tuple[Fault, ...] = (
    Fault("auth-missing-accepted", (Req.AUTH_01,),
          "a request with no Authorization header is served as the first app"),
    Fault("auth-any-key-accepted", (Req.AUTH_01,),
          "any Bearer value that is no key is served as the first app (a missing header is still 401; "
          "each real key still gets its own app)"),
    Fault("auth-malformed-5xx", (Req.AUTH_01, Req.ROBUST_01),
          "a malformed Authorization header (another scheme, 'Bearer ' with no token) is answered 500, every time"),
    Fault("user-missing-served", (Req.USER_01,),
          "with user required, a missing user is served 200 as the default user's (empty) list"),
    Fault("user-missing-lists-all", (Req.USER_01,),
          "a missing user is answered 200 with every conversation of the app, of all users"),
    Fault("user-missing-rejected", (Req.USER_01,),
          "even when the policy makes user optional, a missing user gets 400"),
    Fault("users-not-isolated", (Req.USER_02,),
          "GET /conversations ignores the user filter (the whole app is listed; cursors are looked up app-wide)"),
    Fault("user-case-insensitive", (Req.USER_02,),
          "users are compared case-insensitively in GET /conversations"),
    Fault("user-like-match", (Req.USER_02,),
          "the user filter is a SQL LIKE pattern, so '_' and '%' in a user string match other users"),
    Fault("user-whitespace-stripped", (Req.USER_02,),
          "GET /conversations strips leading and trailing whitespace from user before comparing (as MySQL's PAD "
          "SPACE collations ignore trailing spaces), so ' alice' and 'alice\\t' read alice's list"),
    Fault("cursor-other-user", (Req.USER_02,),
          "a last_id naming another user's conversation is accepted and the page continues that user's list",
          collateral=((Req.PAGE_03, "that last_id names no conversation of this user and is served a page, not a "
                                  "4xx; where nothing of the other user follows it the page is empty, and "
                                  "refusing the cursor is all PAGE-03 can ask"),)),
    Fault("limit-short-page", (Req.LIMIT_01,),
          "when more than limit conversations remain, limit-1 items are returned (has_more and cursor correct)",
          collateral=((Req.LIMIT_03, "without limit the default is the limit in effect, so those pages are short "
                                   "too: the default does not apply"),)),
    Fault("limit-max-clamped", (Req.LIMIT_01,),
          "limits above limit_max//2 are served as limit_max//2 items (the response's limit echoes the request)"),
    Fault("limit-bounds-not-enforced", (Req.LIMIT_02,),
          "a limit below the minimum or above the maximum is served (0 or negative: empty data)"),
    Fault("limit-above-max-clamped", (Req.LIMIT_02,),
          "a limit above the maximum is silently served as the maximum (200, response limit = maximum)"),
    Fault("limit-default-wrong", (Req.LIMIT_03,),
          "the default limit is limit_default//2"),
    Fault("limit-field-wrong", (Req.LIMIT_04,),
          "the response's limit is the number of items returned"),
    Fault("limit-non-integer-accepted", (Req.LIMIT_05,),
          "a non-integer limit such as 2.5 is read as a float and truncated"),
    Fault("sort-ignored", (Req.SORT_01,),
          "sort_by is validated, but the list (order and cursor) always uses -updated_at"),
    Fault("sort-direction-inverted", (Req.SORT_01,),
          "created_at and -created_at are served in the opposite direction (order and cursor alike)"),
    Fault("sort-default-wrong", (Req.SORT_02,),
          "without sort_by, -created_at is used"),
    Fault("sort-invalid-accepted", (Req.SORT_03,),
          "a sort_by outside the allowed values is served with the default order"),
    Fault("cursor-off-by-one", (Req.PAGE_01,),
          "a page after a cursor skips the first conversation that should follow it"),
    Fault("cursor-ties-skipped", (Req.PAGE_01,),
          "the cursor compares the sort field only, strictly, skipping conversations sharing its timestamp"),
    Fault("cursor-inclusive", (Req.PAGE_01,),
          "a page after a cursor starts with the cursor's own conversation"),
    Fault("has-more-wrong", (Req.PAGE_02,),
          "has_more is len(data) == limit"),
    Fault("has-more-always-false", (Req.PAGE_02,),
          "has_more is always false"),
    Fault("has-more-always-true", (Req.PAGE_02,),
          "has_more is always true"),
    Fault("has-more-false-one-left", (Req.PAGE_02,),
          "has_more is false when exactly one conversation follows the page"),
    Fault("has-more-counts-deleted", (Req.PAGE_02,),
          "has_more counts the user's rows including soft-deleted ones (the items are right)"),
    Fault("deleted-cursor-accepted", (Req.PAGE_03,),
          "a deleted conversation's id as last_id is accepted: the page continues from where it was"),
    Fault("unknown-cursor-ignored", (Req.PAGE_03,),
          "a well-formed last_id naming no conversation of this user is ignored (the first page is served)",
          collateral=((Req.APP_01, "another app's conversation names no conversation of this app's user either, so "
                                 "as last_id it is ignored too: a page is served where APP-01 asks for a 4xx"),)),
    Fault("unknown-cursor-5xx", (Req.PAGE_03, Req.ROBUST_01),
          "a well-formed last_id naming no conversation of this user is answered 500"),
    Fault("malformed-cursor-ignored", (Req.PAGE_04,),
          "a last_id that is not a UUID is ignored (the first page is served)"),
    Fault("wrong-field-types", (Req.SCHEMA_01,),
          "created_at and updated_at are served as ISO-8601 strings"),
    Fault("content-type-text", (Req.SCHEMA_01,),
          "200 responses of GET /conversations say Content-Type: text/html"),
    Fault("data-null-when-empty", (Req.SCHEMA_01,),
          "an empty page is served with data: null (not [])"),
    Fault("field-missing", (Req.SCHEMA_02,),
          "list items lack introduction"),
    Fault("timestamps-in-milliseconds", (Req.SCHEMA_03,),
          "created_at and updated_at are served (not stored) in milliseconds"),
    Fault("updated-before-created", (Req.SCHEMA_03,),
          "creations are dated rounded to the nearest second and updates truncated, an update never held at "
          "the creation's second (as Dify on PostgreSQL): a quick follow-up is dated a second before creation"),
    Fault("delete-not-hidden", (Req.DATA_01,),
          "deleted conversations still appear in lists (DELETE still answers 204)"),
    Fault("update-not-touching", (Req.DATA_02,),
          "new messages and renames do not change updated_at"),
    Fault("rename-not-touching", (Req.DATA_02,),
          "renames do not change updated_at (new messages still do)"),
    Fault("user-non-ascii-unlisted", (Req.DATA_01,),
          "GET /conversations compares the user after a UTF-8 to Latin-1 round trip: a non-ASCII user's "
          "conversations are never listed (nor found as cursors); writes are unaffected"),
    Fault("unstable-ties", (Req.STABLE_01,),
          "items sharing a sort value are shuffled within each page (the set of items and the cursor stay correct)"),
    Fault("server-error-on-odd-input", (Req.ROBUST_01,),
          "GET /conversations answers 500 when user holds a non-ASCII character"),
    Fault("user-too-long-5xx", (Req.ROBUST_01,),
          "GET /conversations answers 500 when user is longer than 255 characters (Dify's end_users.session_id "
          "is varchar(255))"),
    Fault("random-5xx", (Req.ROBUST_01,),
          "one request in five, on any endpoint, is answered 503 (seeded by --seed)"),
    Fault("apps-not-isolated", (Req.APP_01,),
          "GET /conversations ignores the app: a user's list (and a cursor lookup) takes in that user id's "
          "conversations of every app on the server"),
    # Breaks nothing the catalogue asks of the list: only the run-end cleanup deletes these (no check
    # deletes a seeded "#2" conversation), and it must report each in notes.cleanup_failed.
    Fault("delete-404-kept", (),
          "DELETE of a conversation whose first message ends in ' #2' answers 404 and keeps it listed (a target "
          "that lost track of a row it still lists, as Dify's split end users do)"),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _REGISTRY}


class UnknownFault(ValueError):
    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        super().__init__(f"unknown fault {', '.join(self.names)}; known faults: {', '.join(FAULTS)}")


@dataclass(frozen=True, slots=True)
class Faults:
    """The faults one server runs with (empty: a conforming server)."""

    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, names: Iterable[str]) -> Faults:
        chosen = frozenset(names)
        unknown = sorted(chosen - FAULTS.keys())
        if unknown:
            raise UnknownFault(unknown)
        return cls(chosen)

    def __contains__(self, name: object) -> bool:
        if name not in FAULTS:
            raise KeyError(f"not a registered fault: {name!r}")
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.names))

    def __len__(self) -> int:
        return len(self.names)
