"""What the reference server accepts in ``GET /conversations``: the limits, the sort values, whether
``user`` is required. Defaults are those of Dify's published spec; the suite configures the server
to match whichever spec it tests against."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServerPolicy", "SORT_FIELDS", "DEFAULT_SORT_VALUES", "split_sort"]

SORT_FIELDS = ("created_at", "updated_at")
DEFAULT_SORT_VALUES = ("created_at", "-created_at", "updated_at", "-updated_at")


@dataclass(frozen=True, slots=True)
class ServerPolicy:
    limit_min: int = 1
    limit_max: int = 100
    limit_default: int = 20
    sort_values: tuple[str, ...] = DEFAULT_SORT_VALUES
    sort_default: str = "-updated_at"
    user_required: bool = True
    timestamps: str = "truncated"  # or "rounded-creations" (server/dating.py)

    def problems(self) -> list[str]:
        """Why this policy cannot be served, one sentence each; empty when it is consistent."""
        found: list[str] = []
        if not self.limit_min <= self.limit_default <= self.limit_max:
            found.append(f"limits must satisfy min <= default <= max, got min={self.limit_min}, "
                         f"default={self.limit_default}, max={self.limit_max}")
        if self.limit_min < 0:
            found.append(f"the minimum limit must not be negative, got {self.limit_min}")
        if not self.sort_values:
            found.append("at least one sort value is needed")
        for value in self.sort_values:
            if value.removeprefix("-") not in SORT_FIELDS:
                found.append(f"sort value {value!r} is not one of created_at, -created_at, updated_at, -updated_at")
        if len(set(self.sort_values)) != len(self.sort_values):
            found.append(f"sort values repeat: {','.join(self.sort_values)}")
        if self.sort_default not in self.sort_values:
            found.append(f"the default sort {self.sort_default!r} is not among the sort values "
                         f"{','.join(self.sort_values)}")
        from .dating import TIMESTAMP_POLICIES

        if self.timestamps not in TIMESTAMP_POLICIES:
            found.append(f"timestamps must be one of {', '.join(TIMESTAMP_POLICIES)}, got {self.timestamps!r}")
        return found

    def as_args(self) -> list[str]:
        """The command-line flags that give a server this policy."""
        args = [f"--limit-min={self.limit_min}", f"--limit-max={self.limit_max}",
                f"--limit-default={self.limit_default}", f"--sort-values={','.join(self.sort_values)}",
                f"--sort-default={self.sort_default}"]  # "=": the values may start with "-"
        if self.timestamps != "truncated":
            args.append(f"--timestamps={self.timestamps}")
        return args if self.user_required else [*args, "--user-optional"]


def split_sort(value: str) -> tuple[str, bool]:
    """``"-updated_at"`` -> ``("updated_at", True)``: the column and whether the order is descending."""
    return value.removeprefix("-"), value.startswith("-")
