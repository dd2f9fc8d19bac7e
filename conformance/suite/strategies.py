"""Values to send, derived from the contract: explicit boundaries and hypothesis strategies.

In hypothesis' style: valid and invalid generators kept apart, keyword arguments, bounds named
``min_value``/``max_value``, and arguments checked with messages that show the value.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from ..oracles.params import classify_limit
from ..spec.boundaries import limit_bounds
from ..spec.contract import LimitRule, SortRule

if TYPE_CHECKING:  # hypothesis' own name for the Unicode categories it accepts
    from hypothesis.internal.charmap import CategoryName

__all__ = [
    "out_of_range_limits",
    "NON_INTEGER_LIMITS",
    "invalid_sort_values",
    "malformed_cursors",
    "valid_limits",
    "invalid_limits",
    "non_integer_limits",
    "sort_values_outside",
    "USER_PROBE_STEM",
    "odd_users",
]

_CONTROL_CHARACTERS: tuple[CategoryName, ...] = ("Cc",)
NON_INTEGER_LIMITS: tuple[str, ...] = ("abc", "1.5", "2.5", "ten", "0x10", "NaN", "true", "1 2", "[]", "5a")


def out_of_range_limits(rule: LimitRule) -> list[int]:
    """Just outside each bound, far outside, and sizes that overflow 32 and 64 bits."""
    values: set[int] = set()
    if rule.minimum is not None:
        values |= {rule.minimum - 1, rule.minimum - 2, -1, 0, -(2**31), -(2**63) - 1}
    if rule.maximum is not None:
        values |= {rule.maximum + 1, rule.maximum + 2, rule.maximum * 10, 2**31, 2**63, 10**30}
    return sorted(v for v in values if not rule.in_range(v))


def invalid_sort_values(rule: SortRule) -> list[str]:
    """Near misses of the enum (other case, doubled sign, plural, a list) and plain strangers."""
    fields = sorted({SortRule.field(v) for v in rule.values}) or ["created_at"]
    candidates = ["name", "-name", "id", "random", "updated", "1", "' OR 1=1 --"]
    for field in fields:
        candidates += [field.upper(), f"--{field}", f"{field}s", f"{field},id", f"-{field.upper()}"]
    return [c for c in dict.fromkeys(candidates) if c not in rule.values]


def malformed_cursors(format: str | None) -> list[str]:
    """Cursors that cannot name any conversation whose ids have this format (only ``uuid`` is known)."""
    if format != "uuid":
        return []
    sample = str(uuid.UUID(int=0x1234_5678_9ABC_4DEF_8123_456789ABCDEF))
    return ["not-a-uuid", "12345", sample[:-1], sample[:-1] + "g", sample + "0", "' OR '1'='1", "x" * 400]


def valid_limits(rule: LimitRule) -> st.SearchStrategy[int]:
    low, high = limit_bounds(rule)
    return st.integers(min_value=low, max_value=high)


def invalid_limits(rule: LimitRule) -> st.SearchStrategy[int]:
    """Integers outside the bounds, near them more often than far."""
    low, high = limit_bounds(rule)
    below = st.integers(max_value=low - 1, min_value=low - 1000) | st.integers(max_value=low - 1)
    above = st.integers(min_value=high + 1, max_value=high + 1000) | st.integers(min_value=high + 1)
    return below | above


def non_integer_limits() -> st.SearchStrategy[str]:
    """Strings no integer parser accepts: decimals with a fraction, words, mixtures."""
    decimals = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
    words = st.text(alphabet=st.characters(codec="ascii", categories=("L", "P", "S")), min_size=1, max_size=12)
    return (decimals | words).filter(lambda v: classify_limit(v) == "non-integer")


def sort_values_outside(rule: SortRule) -> st.SearchStrategy[str]:
    """Strings outside the enum (trimmed, too: a padded enum value obliges nothing)."""
    enum = set(rule.values)
    near = st.sampled_from(invalid_sort_values(rule))
    text = st.text(alphabet=st.characters(codec="ascii", exclude_categories=_CONTROL_CHARACTERS),
                   min_size=1, max_size=20)
    return (near | text).filter(lambda v: v.strip() not in enum and v.strip() != "")


# Fixed, not per run: against Dify every distinct user value sent makes an end-user row, and the same
# values make no new ones run after run. They never own data (the run's own users are run-unique).
USER_PROBE_STEM = "dify-conformance-probe"
_ODD_CHARACTERS: tuple[tuple[str, str], ...] = (
    ("NUL", "\x00"), ("a control character", "\x01"), ("a tab", "\t"), ("a newline", "\n"), ("DEL", "\x7f"),
    ("an accented letter", "é"), ("CJK", "山田"), ("an emoji", "🦊"), ("full-width letters", "ｕｓｅｒ"),
    ("a plus", "+"), ("a space", " "), ("a percent sign", "%"), ("a slash", "/"), ("a single quote", "'"),
    ("a double quote", '"'), ("a backslash", "\\"),
)


def odd_users(*, max_length: int | None = None) -> list[tuple[str, str]]:
    """(what it is, user value): user ids that break sloppy backends, none of which owns data.

    Lengths around 255 (Dify stores the user in a varchar(255)) and far past it, unless the spec
    bounds the length: then the bound, one past it and far past it. Control characters, NUL
    included, non-ASCII text, and the characters URL and SQL handling trip over.
    """
    if max_length is not None and max_length < len(USER_PROBE_STEM) + 2:
        raise ValueError(f"max_length={max_length!r} leaves no room for the probe stem {USER_PROBE_STEM!r}")
    lengths = (max_length, max_length + 1, max_length * 4) if max_length is not None else (255, 256, 1000, 4000)
    values = [(f"{n} characters", (USER_PROBE_STEM + "-" + "x" * n)[:n]) for n in lengths]
    values += [(what, f"{USER_PROBE_STEM}-{char}-x") for what, char in _ODD_CHARACTERS]
    return values
