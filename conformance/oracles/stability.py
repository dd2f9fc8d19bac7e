"""STABLE-01: the same request, repeated with no write in between, returns the same body."""

from __future__ import annotations

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import Inconclusive, violation

__all__ = ["repeat_violations"]


def repeat_violations(first: Exchange, second: Exchange, where: str) -> list[Violation]:
    """Two answers to the same request with no write between: the same body, or STABLE-01 with the
    second answer as evidence (the first one's body quoted). Inconclusive unless both are 200s.

    JSON bodies are compared as JSON (key order and spacing say nothing); anything else byte for byte.
    """
    if first.status_code != 200 or second.status_code != 200:
        raise Inconclusive(f"{first.describe()} / {second.status_code}: not two pages to compare")
    one, two = first.json_or_none(), second.json_or_none()
    same = one == two if one is not None and two is not None else first.body == second.body
    if same:
        return []
    return [violation(Req.STABLE_01, f"{where}: the same request, repeated with no write between, returned a "
                      f"different body; first: {first.excerpt(300)}", second)]
