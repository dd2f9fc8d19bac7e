"""The run's users: unique to one run (and xdist worker), named to tempt a sloppy implementation, and
the near-identical ids that must never see their data (CONTRACT.md's test-data protocol)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["TestUsers", "whitespace_twins", "near_misses"]


@dataclass(frozen=True, slots=True)
class TestUsers:
    """Users unique to one run (and xdist worker), named to tempt a sloppy implementation.

    ``twin`` differs from ``main`` only in letter case; ``probes`` are near-identical ids that hold
    no data and must never see any: LIKE wildcards, a prefix, an extension, other case, full-width
    and accented letters, leading and trailing space and tab (of every user that owns data), and the
    near misses of the two special users. ``non_ascii`` (accents, CJK,
    an emoji) and ``special`` (space, ``+``, ``%``, ``/``, quotes) own conversations too: ids that a
    wrong charset or a second URL decoding turns into someone else.
    """

    __test__ = False  # not a pytest test class

    main: str
    twin: str
    scratch: str
    probes: tuple[str, ...]
    non_ascii: str = ""
    special: str = ""
    app: str = ""  # APP-01's user: conversations of the same id through both apps' keys (write mode)

    @classmethod
    def for_run(cls, run_id: str, worker: str = "") -> TestUsers:
        stem = f"dify-conformance-{run_id}{'-' + worker if worker else ''}"
        main = f"{stem}-alice"
        non_ascii = f"{stem}-zoë-山田-🦊"
        special = f"{stem}-d a+n%2Fy/'q\""
        return cls(
            main=main,
            twin=f"{stem}-ALICE",
            scratch=f"{stem}-carol",
            probes=(
                f"{stem}-alic_",
                f"{stem}-al%",
                f"{stem}-alic",
                f"{main}x",
                f"{stem}-Alice",
                f"{stem}-ａｌｉｃｅ",
                f"{stem}-alicé",
                *whitespace_twins(main),
                *near_misses(non_ascii, special),
                *(twin for owner in (non_ascii, special) for twin in whitespace_twins(owner)),
            ),
            non_ascii=non_ascii,
            special=special,
            app=f"{stem}-erin",
        )

    @property
    def owners(self) -> tuple[str, ...]:
        """The special users that own conversations (none in read-only mode)."""
        return tuple(u for u in (self.non_ascii, self.special) if u)

    @classmethod
    def read_only(cls, user: str) -> TestUsers:
        """Probes around an existing user's id; no twin or scratch user is made."""
        variants = (user[:-1] + "_" if user else "_", user + "%", user[:-1], user + "x", user.swapcase(), user + "é",
                    *whitespace_twins(user))
        return cls(main=user, twin="", scratch="", probes=tuple(v for v in dict.fromkeys(variants) if v != user))


def whitespace_twins(user: str) -> tuple[str, ...]:
    """The user with a leading and a trailing space and tab: one user to a target that strips ``user`` or
    compares it as MySQL's PAD SPACE collations do (``'a' = 'a '``), another to Dify."""
    return (f" {user}", f"{user} ", f"\t{user}", f"{user}\t")


def near_misses(non_ascii: str, special: str) -> tuple[str, ...]:
    """What a sloppy target may take the special users for: the ASCII-folded and the decomposed (NFD)
    forms and the latin-1 misreading of the non-ASCII one; the special one percent- and form-decoded."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", non_ascii) if not unicodedata.combining(c))
    variants = (folded, unicodedata.normalize("NFD", non_ascii), non_ascii.encode("utf-8").decode("latin-1"),
                special.replace("%2F", "/"), special.replace("+", " "))
    return tuple(v for v in dict.fromkeys(variants) if v not in (non_ascii, special))
