"""The waivers file (``--waivers FILE``): accepted deviations, as TOML ``[[waiver]]`` tables.

Every problem is a :class:`UsageError` (exit 2) with one line naming the file, where in it, and
what to do: a waiver that silently did not apply would turn a certification into a lie.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..model.results import Waiver
from ..spec.catalogue import REQUIREMENTS, is_known

__all__ = ["load_waivers", "parse_waivers"]

_KEYS = ("id", "reason")
_TABLE_HEADER = re.compile(r"^\s*\[\[\s*waiver\s*\]\]")
_EXAMPLE = 'a [[waiver]] table with id = "USER-01" and reason = "why it is accepted"'


def load_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """The waivers in the TOML file at ``path``, in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"waivers file {path}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"waivers file {path}: cannot be read ({exc.strerror or exc})") from None
    return parse_waivers(text, source=str(path))


def parse_waivers(text: str, *, source: str = "<waivers>") -> list[Waiver]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise UsageError(f"waivers file {source}: not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"waiver"})
    if extra:
        raise UsageError(
            f"waivers file {source}: unexpected top-level key(s) {', '.join(map(repr, extra))}; "
            f"write each waiver as {_EXAMPLE}"
        )
    entries = data.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"waivers file {source}: `waiver` must be an array of tables: write {_EXAMPLE}")
    header_lines = [n for n, line in enumerate(text.splitlines(), 1) if _TABLE_HEADER.match(line)]
    # Name each waiver by its [[waiver]] line when the file uses that form, else by its position.
    where = (
        [f"line {n}" for n in header_lines]
        if len(header_lines) == len(entries)
        else [f"waiver #{i}" for i in range(1, len(entries) + 1)]
    )
    waivers: list[Waiver] = []
    seen: dict[str, str] = {}
    for entry, place in zip(entries, where, strict=True):
        waiver = _waiver(entry, f"waivers file {source}, {place}")
        if waiver.id in seen:
            raise UsageError(
                f"waivers file {source}, {place}: {waiver.id} is already waived at {seen[waiver.id]}; "
                "keep one waiver per requirement"
            )
        seen[waiver.id] = place
        waivers.append(waiver)
    return waivers


def _waiver(entry: dict[str, Any], where: str) -> Waiver:
    extra = sorted(set(entry) - set(_KEYS))
    if extra:
        raise UsageError(
            f"{where}: unexpected key(s) {', '.join(map(repr, extra))}; a waiver has only id and reason"
        )
    for key in _KEYS:
        value = entry.get(key)
        if value is None:
            raise UsageError(f"{where}: missing `{key}`; write {_EXAMPLE}")
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{where}: `{key}` must be a non-empty string")
    requirement_id, reason = entry["id"].strip(), entry["reason"].strip()
    if not is_known(requirement_id):
        known = [r.id for r in REQUIREMENTS]
        close = difflib.get_close_matches(requirement_id.upper(), known, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(
            f"{where}: unknown requirement id {requirement_id!r}; {hint}known: {', '.join(known)}"
        )
    return Waiver(requirement_id, reason)
