"""The limits a walk must be tried at, from the contract's bounds alone: each bound and its neighbour, the
default, the data's size and its divisors, and the limits that end a walk on a full page followed by
none, one and two more (PAGE-02's remainders). Pure arithmetic: the profiles size the test data with it
and the checks walk at what it gives.
"""

from __future__ import annotations

from .contract import LimitRule

__all__ = ["limit_bounds", "REMAINDERS", "boundary_limits", "remainder_limits", "size_with_every_remainder"]


def limit_bounds(rule: LimitRule) -> tuple[int, int]:
    """The rule's (minimum, maximum); a ValueError naming the rule when the spec lacks one or they cross."""
    if rule.minimum is None or rule.maximum is None:
        raise ValueError(f"the limit needs both bounds from the spec, got rule={rule!r}")
    if rule.minimum > rule.maximum:
        raise ValueError(f"minimum > maximum in rule={rule!r}")
    return rule.minimum, rule.maximum


# What follows a full page in the walks PAGE-02 must see: nothing (a full last page), one, two.
REMAINDERS = (0, 1, 2)


def boundary_limits(rule: LimitRule, *, total: int) -> list[int]:
    """The in-range limits a random draw can miss: each bound and its neighbour, the default, the total
    number of conversations, one either side of it, its divisors, and the limits whose walk ends on a
    full page followed by each of :data:`REMAINDERS` (see remainder_limits)."""
    low, high = limit_bounds(rule)
    candidates = [low, low + 1, high - 1, high, total - 1, total, total + 1]
    if rule.default is not None:
        candidates.append(rule.default)
    candidates += [d for d in range(2, total) if total % d == 0]
    candidates += remainder_limits(rule, total=total).values()
    return sorted({c for c in candidates if low <= c <= high})


def remainder_limits(rule: LimitRule, *, total: int) -> dict[int, int]:
    """For each remainder r of :data:`REMAINDERS`, the largest in-range limit above r whose full walk of
    ``total`` conversations ends with a full page followed by exactly r (the shortest such walk);
    a remainder no limit reaches is left out."""
    low, high = limit_bounds(rule)
    found: dict[int, int] = {}
    for remainder in REMAINDERS:
        rest = total - remainder
        fitting = [d for d in range(max(low, remainder + 1, 1), min(high, rest) + 1) if rest % d == 0]
        if fitting:
            found[remainder] = fitting[-1]
    return found


def size_with_every_remainder(rule: LimitRule, *, at_least: int, max_pages: int | None) -> int:
    """The smallest number of conversations from ``at_least`` on whose walks reach every remainder of
    :data:`REMAINDERS` after a full page, each at a limit walked in full (at most ``max_pages`` pages)."""
    for total in range(at_least, 4 * at_least + 16):
        reached = remainder_limits(rule, total=total)
        if len(reached) == len(REMAINDERS) and (max_pages is None or all(
                -(-total // limit) <= max_pages for limit in reached.values())):
            return total
    return at_least  # no such size near it (a degenerate range such as 1..2): the bounds' walks must do
