"""The run's data as the checks read it: one interface, :class:`Dataset`, and two implementations.

- ``SeededDataset`` (seeded.py): the conversations this run made (seeding.py), following the test-data
  protocol of CONTRACT.md: run-unique users, conversations over distinct seconds with ties inside one
  second, updates that make the ``updated_at`` order differ from the ``created_at`` order, deleted ones
  at both ends and in the middle of every order. The run knows whose every conversation is.
- ``ReadOnlyDataset`` (readonly.py): an existing user's conversations, as full walks listed them
  (``--read-only``): nothing is known but what the target lists.

What differs between the two is a method here, decided inside each implementation, so that no check
asks which mode the run is in. A check that needs writes asks for ``writes`` (writes.py), which is a
``NotInThisRun`` answer in a run without writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..http.api import ServiceApi
from ..model.exchange import Exchange
from ..model.results import Violation
from ..oracles.data import MISSING_AFTER_CREATE
from ..oracles.walk import Walk
from ..spec.contract import Contract
from .ledger import CreatedLedger
from .listing import Listing
from .users import TestUsers
from .writes import NotInThisRun, SeedingError, retrying_write

__all__ = ["Dataset", "Update", "Probe", "Gather", "MISSING_AFTER_CREATE", "NotInThisRun",
           # where they were before the dataset was split up (users.py, writes.py, ledger.py)
           "TestUsers", "SeedingError", "CreatedLedger", "retrying_write"]

Probe = Callable[[], list[Violation]]  # sends its requests and judges them (executor.Probes runs it)
# executor.Probes.gather: every limit's walk in flight at once, None for one that could not be judged
Gather = Callable[[Sequence[int], Callable[[int], Walk]], list[Walk | None]]


@dataclass(frozen=True, slots=True)
class Update:
    conversation_id: str
    action: str  # "message" or "rename"
    updated_at_before: Any
    exchange: Exchange


class Dataset(Protocol):
    """The data a check reads: its users and conversations, and the judgements that depend on how much
    the run knows of them (all of it when it made them; what the target listed, in read-only mode)."""

    @property
    def users(self) -> TestUsers: ...

    @property
    def main_ids(self) -> tuple[str, ...]:
        """The main user's conversations."""

    @property
    def twin_ids(self) -> tuple[str, ...]:
        """The second user's conversations (the twin; read-only: --other-user's), if there is one."""

    @property
    def deleted_ids(self) -> tuple[str, ...]:
        """The main user's conversations deleted again (listed, they are DATA-01's)."""

    @property
    def owned_ids(self) -> Mapping[str, tuple[str, ...]]:
        """Special user -> their conversations (non-ASCII and URL-special ids)."""

    @property
    def updates(self) -> tuple[Update, ...]:
        """The messages and renames made after the creations (DATA-02)."""

    @property
    def notes(self) -> list[str]:
        """What the data lets the checks observe, for the report."""

    @property
    def total(self) -> int:
        """How many conversations the main user has."""

    def judged_walk(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
                    effective_limit: int) -> list[Violation]:
        """A walk of the main user's list at this sort and limit, judged; Inconclusive if a page is unusable."""

    def judged_main_walk(self, walk: Walk, reference: Mapping[str, dict[str, Any]] | None = None) -> list[Violation]:
        """A walk of the main user's list judged against the data (``reference``: more items by id)."""

    def judged_boundary_walks(self, api: ServiceApi, limits: Sequence[int], *, sort_by: str | None,
                              effective_sort: str, page_cap: int | None, gather: Gather) -> list[list[Violation]]:
        """Walks at each of ``limits`` (sent through ``gather``), judged: one list of violations per walk
        that could be judged. ``page_cap``: pages a walk may take (the profile's), None for no cap."""

    def own_list_probes(self, api: ServiceApi, contract: Contract) -> list[Probe] | NotInThisRun:
        """USER-02's probes that each user's list holds their own conversations only."""

    def default_order_walk(self, api: ServiceApi, contract: Contract) -> Walk:
        """The main user's list at the largest limit without sort_by, followed to its end (SCHEMA-03)."""

    def earliest_creation(self, skew_s: float) -> float | None:
        """The earliest ``created_at`` the main user's conversations may plausibly have, ``skew_s`` being how
        far the target's clock may be from ours; None when the run cannot know (it did not make them)."""

    def main_listing(self, api: ServiceApi, contract: Contract) -> Listing:
        """The main user's list as full walks under every sort at the largest limit."""
