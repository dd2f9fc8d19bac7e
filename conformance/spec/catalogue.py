"""The requirement catalogue of CONTRACT.md, as data.

Reports, the CLI (`dify-conformance requirements`) and the verdict all read this table; checks
name the ids they serve with ``@pytest.mark.requirement(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Level", "Req", "Requirement", "REQUIREMENTS", "UnknownRequirement", "requirement", "is_known"]


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Req(StrEnum):
    """The requirement ids of the catalogue, as typed constants: ``Req.PAGE_01 == "PAGE-01"``."""

    AUTH_01 = "AUTH-01"
    USER_01 = "USER-01"
    USER_02 = "USER-02"
    LIMIT_01 = "LIMIT-01"
    LIMIT_02 = "LIMIT-02"
    LIMIT_03 = "LIMIT-03"
    LIMIT_04 = "LIMIT-04"
    LIMIT_05 = "LIMIT-05"
    SORT_01 = "SORT-01"
    SORT_02 = "SORT-02"
    SORT_03 = "SORT-03"
    PAGE_01 = "PAGE-01"
    PAGE_02 = "PAGE-02"
    PAGE_03 = "PAGE-03"
    PAGE_04 = "PAGE-04"
    SCHEMA_01 = "SCHEMA-01"
    SCHEMA_02 = "SCHEMA-02"
    SCHEMA_03 = "SCHEMA-03"
    DATA_01 = "DATA-01"
    DATA_02 = "DATA-02"
    STABLE_01 = "STABLE-01"
    ROBUST_01 = "ROBUST-01"
    APP_01 = "APP-01"


@dataclass(frozen=True, slots=True)
class Requirement:
    id: Req
    level: Level
    title: str
    needs_writes: bool = False  # skipped in --read-only mode
    # The answer this requirement wants to the requests it judges ("401", "4xx"; "" where none), and
    # whether a 5xx the target gives again to the same request breaks it too (a 5xx is never that
    # answer), not ROBUST-01 alone. A 5xx that does not repeat is a blip: ROBUST-01's only.
    answer: str = ""
    repeated_5xx_breaks: bool = False


def _r(id: str, level: str, title: str, *, needs_writes: bool = False, answer: str = "",
       repeated_5xx_breaks: bool = False) -> Requirement:
    return Requirement(Req(id), Level(level), title, needs_writes, answer, repeated_5xx_breaks)


REQUIREMENTS: tuple[Requirement, ...] = (
    _r("AUTH-01", "MUST", "A request without a bearer API key, or with a wrong one, is answered 401 and "
       "carries no conversation data.", answer="401", repeated_5xx_breaks=True),
    _r("USER-01", "MUST", "Where the spec marks `user` required, a request without it is rejected with a 4xx "
       "and carries no data. Where the spec marks it optional, such a request is answered 200, schema-valid, "
       "holding none of the test users' conversations."),
    _r("USER-02", "MUST", "A user's list never holds another user's conversation, on any page, under any sort; "
       "another user's conversation id used as `last_id` yields a 4xx or a page without that user's data."),
    _r("LIMIT-01", "MUST", "Every `limit` within the spec's minimum..maximum is answered 200 with exactly "
       "min(limit, remaining) items."),
    _r("LIMIT-02", "MUST", "A `limit` below the minimum or above the maximum is rejected with a 4xx: not served, "
       "not silently clamped, not a 5xx.", answer="4xx", repeated_5xx_breaks=True),
    _r("LIMIT-03", "MUST", "Without `limit`, the spec's default applies."),
    _r("LIMIT-04", "MUST", "The response's `limit` equals the limit in effect."),
    _r("LIMIT-05", "MUST", "A `limit` that is not an integer is rejected with a 4xx."),
    _r("SORT-01", "MUST", "For each `sort_by` value of the spec's enum, items are ordered by that field in that "
       "direction (equal values in any order)."),
    _r("SORT-02", "MUST", "Without `sort_by`, the spec's default order applies."),
    _r("SORT-03", "MUST", "A `sort_by` outside the enum is rejected with a 4xx."),
    _r("PAGE-01", "MUST", "Following `last_id` (the id of a page's last item) until `has_more` is false visits "
       "every conversation exactly once, no gaps, no repeats, in sort order, for every `sort_by` and `limit`, "
       "also when several conversations share a timestamp."),
    _r("PAGE-02", "MUST", "`has_more` is true exactly when more conversations follow the page."),
    _r("PAGE-03", "MUST", "A well-formed `last_id` that names no conversation of this user is rejected with a "
       "4xx (404 is what Dify answers); never a 5xx, never a page served as if no cursor was given.",
       answer="4xx", repeated_5xx_breaks=True),
    _r("PAGE-04", "MUST", "A malformed `last_id` is rejected with a 4xx."),
    _r("SCHEMA-01", "MUST", "Every 200 response has a JSON content type and validates against the spec's "
       "response schema, formats included."),
    _r("SCHEMA-02", "SHOULD", "Every property the schema documents is present, in the body and in each item."),
    _r("SCHEMA-03", "SHOULD", "`created_at` and `updated_at` are Unix epoch seconds near the time the "
       "conversation was made, and `updated_at` >= `created_at`."),
    _r("DATA-01", "MUST", "A conversation created through the API appears in its user's list; once deleted it "
       "no longer appears.", needs_writes=True),
    _r("DATA-02", "SHOULD", "A new message in a conversation, or renaming it, advances its `updated_at` and moves "
       "it to the front under `-updated_at`.", needs_writes=True),
    _r("STABLE-01", "MUST", "The same request repeated with no write in between returns the same body."),
    _r("ROBUST-01", "MUST", "No request, well-formed or not, is answered with a 5xx."),
    # Judged in read-only mode too (the two keys' lists of --user must be disjoint): no needs_writes.
    _r("APP-01", "MUST", "A conversation made through another app's API key is never listed by this app for the "
       "same `user`, on any page, under any sort, and its id used as `last_id` yields a 4xx. Judged only with "
       "`--other-api-key`."),
)

_BY_ID: dict[str, Requirement] = {r.id: r for r in REQUIREMENTS}  # Req is a str: looked up by either


class UnknownRequirement(KeyError):
    """A check named a requirement the catalogue does not have: a bug of the suite, never the target's."""

    def __str__(self) -> str:
        return str(self.args[0])


def requirement(id: str) -> Requirement:
    """The requirement with this id; UnknownRequirement (a KeyError) names the known ids."""
    try:
        return _BY_ID[id]
    except KeyError:
        raise UnknownRequirement(f"unknown requirement id={id!r}; known: {', '.join(_BY_ID)}") from None


def is_known(id: str) -> bool:
    return id in _BY_ID
