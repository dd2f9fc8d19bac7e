"""Was a request that the contract obliges the target to refuse refused, with no data in the answer?"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from ..spec.catalogue import requirement as catalogue_requirement
from . import Inconclusive, violation
from .page import is_server_error

__all__ = ["rejection_violations", "carries_data", "forbids_server_errors", "persistent_server_error",
           "SERVER_ERROR_TRIES"]

# How often a request answered with a 5xx is sent in all before the 5xx counts as the target's answer
# to it: a target failing one request in five at random does so six times running once in 15,625.
SERVER_ERROR_TRIES = 6


def forbids_server_errors(requirement: Req) -> bool:
    """Whether a 5xx given again to the same request breaks this requirement too (AUTH-01, LIMIT-02, PAGE-03),
    not only ROBUST-01: typed data of the catalogue, never its text."""
    return catalogue_requirement(requirement).repeated_5xx_breaks


def persistent_server_error(tries: Sequence[Exchange], requirement: Req, why: str) -> list[Violation]:
    """The same request answered with a 5xx on every try: the target's answer to that input, not a blip.

    Blamed on the rejection requirement only where the catalogue says a repeated 5xx breaks it; elsewhere
    ROBUST-01 alone.
    """
    if not tries or not all(is_server_error(t) for t in tries) or not forbids_server_errors(requirement):
        raise Inconclusive(f"{tries[-1].describe() if tries else 'no request'}: a server error where a refusal "
                           "was expected (see ROBUST-01)", Req.ROBUST_01)
    last = tries[-1]
    return [violation(requirement, f"{why}, so a 4xx was expected; answered {last.status_code} on each of "
                      f"{len(tries)} tries", last)]


def carries_data(exchange: Exchange, known_ids: Collection[str] = ()) -> str | None:
    """Why this answer carries conversation data (a non-empty ``data`` list, or a known id), or None."""
    body = exchange.json_or_none()
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        return f"it carries {len(body['data'])} item(s) in data"
    text = exchange.text
    leaked = next((i for i in known_ids if i in text), None)
    return f"it carries the id of conversation {leaked}" if leaked else None


def rejection_violations(
    exchange: Exchange, requirement: Req, why: str, *, known_ids: Collection[str] = (),
    status: int | None = None,
) -> list[Violation]:
    """``requirement`` is violated unless the answer is a 4xx (or exactly ``status``) without data.

    A 5xx decides nothing here: it is ROBUST-01's, and whether the target would have refused the
    request is unknown. Nor does a 429 left after the client's retries: it refuses the rate, not the input.
    """
    if exchange.status_code is None:
        raise Inconclusive(f"no response to {exchange.describe()} (see ROBUST-01)", Req.ROBUST_01)
    code = exchange.status_code
    if code >= 500:
        raise Inconclusive(f"{exchange.describe()}: a server error where a refusal was expected (see ROBUST-01)",
                           Req.ROBUST_01)
    if code == 429:
        raise Inconclusive(f"{exchange.describe()}: still throttled (429) after retries, not an answer to the input")
    expected = str(status) if status is not None else "a 4xx"
    if status is not None and code != status or status is None and not 400 <= code < 500:
        served = carries_data(exchange, known_ids)
        return [violation(requirement, f"{why}, so {expected} was expected; answered {code}"
                          + (f" and {served}" if served else ""), exchange)]
    served = carries_data(exchange, known_ids)
    if served:
        return [violation(requirement, f"{why}: refused with {code}, but {served}", exchange)]
    return []
