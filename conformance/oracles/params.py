"""What the contract says of a set of query values: which requirement obliges the target to reject them.

Values that a reasonable implementation may read either way (an empty string, ``1.0``, `` 5``,
Unicode digits) oblige nothing: a conformance suite that cries wolf is worse than none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from ..spec.catalogue import Req
from ..spec.contract import Contract

__all__ = ["Obligation", "rejection_obligations", "classify_limit"]

_STRICT_INT = re.compile(r"[+-]?[0-9]+")

Obligation = tuple[Req, str]  # (the requirement, why the request must be rejected)


def classify_limit(raw: str) -> int | str | None:
    """An int for a plain integer, ``"non-integer"`` for a value no integer parser accepts, else None."""
    text = raw
    if _STRICT_INT.fullmatch(text):
        return int(text)
    stripped = text.strip()
    if not stripped:
        return None  # empty: may be read as absent
    try:
        number = float(stripped)
    except ValueError:
        return None if _looks_numeric(stripped) else "non-integer"
    if math.isnan(number) or math.isinf(number) or number != int(number):
        return "non-integer"
    return None  # 1.0, 1e2, " 5": integral, readable either way


def _looks_numeric(text: str) -> bool:
    # Python's int() takes Unicode digits and underscores ("１０", "1_0"): lenient servers may too.
    try:
        int(text)
    except ValueError:
        return False
    return True


def rejection_obligations(params: Iterable[tuple[str, str]], contract: Contract) -> list[Obligation]:
    """The requirements that oblige a 4xx for these query parameters (empty: nothing obliges one)."""
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    found: list[Obligation] = []
    op = contract.operation  # the parameters' names, as the operation under test calls them
    if contract.user_required and op.user not in values:
        found.append((Req.USER_01, f"the required {op.user} is missing"))
    # A parameter given twice may be read either way (first, last, list): it obliges nothing.
    single = {name: vals[0] for name, vals in values.items() if len(vals) == 1}
    if op.limit in single:
        raw = single[op.limit]
        kind = classify_limit(raw)
        if kind == "non-integer":
            found.append((Req.LIMIT_05, f"{op.limit}={raw!r} is not an integer"))
        elif isinstance(kind, int) and contract.limit.bounded and not contract.limit.in_range(kind):
            found.append((Req.LIMIT_02, f"{op.limit}={kind} is outside "
                                        f"{contract.limit.minimum}..{contract.limit.maximum}"))
    raw_sort = single.get(op.sort)
    # Empty or padded enum values (" created_at") may be read as absent or trimmed: no obligation.
    if contract.sort.values and raw_sort is not None and raw_sort.strip() not in ("", *contract.sort.values):
        found.append((Req.SORT_03, f"{op.sort}={raw_sort!r} is not one of {', '.join(contract.sort.values)}"))
    return found
