"""The state of one run in one process, built once and kept in ``config.stash`` (no module globals).

The controller (the only process without xdist) resolves the target: it starts the bundled
reference server when no URL is given, and checks that the target is usable at all (preflight).
Every process that runs checks gets its own HTTP client, evidence log and test data.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ..config.settings import Settings
from ..data.dataset import CreatedLedger, Dataset, TestUsers
from ..data.journal import MAIN_APP, OTHER_APP
from ..data.readonly import ReadOnlyDataset, read_listing
from ..data.seeding import Seeder
from ..errors import TargetUnusable
from ..http.api import ServiceApi
from ..http.client import ClientSettings, HttpClient
from ..http.evidence import CrosscutOracle, EvidenceLog, recorder
from ..model.exchange import OTHER_KEY_PLACEHOLDER, Exchange
from ..model.results import CheckResult, RunResult, Waiver
from ..oracles.schema import ResponseValidator
from ..spec.contract import Contract

__all__ = [
    "STATE",
    "state_of",
    "RunState",
    "RunInputs",
    "Target",
    "resolve_target",
    "start_reference_server",
    "preflight",
    "new_run_id",
]


def new_run_id() -> str:
    return secrets.token_hex(4)


@dataclass
class Target:
    base_url: str
    api_key: str | None
    server: Any = None  # the ReferenceServer we started, if any
    other_api_key: str | None = None  # a second app's key (--other-api-key, or the bundled server's second app)
    preflight: list[Exchange] = field(default_factory=list)  # what the preflight sent, for the evidence

    def close(self) -> None:
        if self.server is not None:
            self.server.__exit__(None, None, None)
            self.server = None


def start_reference_server(contract: Contract) -> Target:
    """The bundled reference server, configured to conform to this spec, on a free loopback port."""
    from ..server.process import ReferenceServer

    api_key = "app-" + secrets.token_urlsafe(18)
    other_api_key = "app-" + secrets.token_urlsafe(18)  # a second app, so that APP-01 is judged here too
    args = []
    if contract.limit.minimum is not None:
        args += ["--limit-min", str(contract.limit.minimum)]
    if contract.limit.maximum is not None:
        args += ["--limit-max", str(contract.limit.maximum)]
    if contract.limit.default is not None:
        args += ["--limit-default", str(contract.limit.default)]
    if contract.sort.values:
        args += [f"--sort-values={','.join(contract.sort.values)}"]  # "=": a value may start with "-"
    if contract.sort.default:
        args += [f"--sort-default={contract.sort.default}"]
    if not contract.user_required:
        args += ["--user-optional"]
    server = ReferenceServer(api_keys=[api_key, other_api_key], extra_args=args)
    try:
        server.__enter__()
    except Exception as exc:  # the message of the server's own failure is the useful part
        raise TargetUnusable(f"the bundled reference server did not start: {exc}") from None
    return Target(base_url=server.base_url, api_key=api_key, server=server, other_api_key=other_api_key)


_MAIN_KEY = "DIFY_API_KEY (or --api-key)"
OTHER_KEY = "DIFY_OTHER_API_KEY (or --other-api-key)"


def preflight(api: ServiceApi, probe_user: str, *, key_given: bool, read_only_user: str | None = None,
              key_source: str = _MAIN_KEY) -> Exchange:
    """One plain list request, tried up to five times: is the target testable at all?

    ``read_only_user``: the existing user a read-only run reads; with no conversations there is nothing
    to judge, and the run ends here (exit 3).
    """
    exchange = api.list(user=probe_user, kind="preflight")
    for _ in range(4):
        if exchange.status_code is not None and exchange.status_code < 500:
            break
        time.sleep(0.5)
        retry = api.list(user=probe_user, kind="preflight")
        if retry.attempts == 0:  # not sent (budget, or the target stopped answering): the last answer says why
            break
        exchange = retry
    where = f"{api.http.settings.base_url}{api.operation.path}"
    status = exchange.status_code
    if status is None:
        raise TargetUnusable(f"cannot reach {where}: {exchange.error}")
    if status in (401, 403):
        raise TargetUnusable(f"the API key was rejected: GET {where} answered {status}; check {key_source}: "
                             "it must be this app's key" if key_source == _MAIN_KEY and key_given else
                             f"the other app's API key was rejected: GET {where} answered {status}; check "
                             f"{key_source}: it must be the key of a second app on the same deployment"
                             if key_given else
                             f"no API key given (GET {where} answered {status}): set DIFY_API_KEY or pass --api-key")
    if 300 <= status < 400:
        location = exchange.header("location") or "(no Location header)"
        raise TargetUnusable(f"GET {where} redirects ({status}) to {location}: redirects are not followed, so "
                             "the API key never leaves the host you named; pass the final URL as --base-url")
    if status == 404:
        raise TargetUnusable(f"GET {where} answered 404: is --base-url the API root (it usually ends in /v1)?")
    if status >= 500:
        raise TargetUnusable(f"GET {where} answered {status} five times: the target cannot serve a plain list")
    if read_only_user is not None:
        _has_conversations(api, read_only_user)
    return exchange


def _has_conversations(api: ServiceApi, user: str) -> None:
    """TargetUnusable when the read-only user's first page is a valid, empty list: nothing to judge."""
    first = api.list(user=user, kind="preflight")
    body = first.json_or_none() if first.status_code == 200 and not first.truncated else None
    if isinstance(body, dict) and body.get("data") == []:
        raise TargetUnusable(f"the read-only user {user!r} has no conversations: nothing to judge "
                             "(--user must name a user with conversations)")


def resolve_target(settings: Settings, contract: Contract, probe_user: str) -> Target:
    """The target of the run, checked usable: the bundled reference server when no URL is given.

    TargetUnusable (exit 3) says why it cannot be tested; a server started here is stopped again then.
    The preflight's exchanges stay with the target: they are part of the run's evidence and budget.
    """
    if settings.base_url is None:
        target = start_reference_server(contract)
    else:
        target = Target(settings.base_url, settings.api_key, other_api_key=settings.other_api_key)
    http = HttpClient(ClientSettings(base_url=target.base_url, api_key=target.api_key, timeout_s=settings.timeout_s,
                                     verify=settings.verify, max_requests=settings.max_requests,
                                     hidden=_other_secrets(target.other_api_key)),
                      record=target.preflight.append)
    other = other_client(target, settings, record=target.preflight.append) if target.other_api_key else None
    try:
        preflight(ServiceApi(http, contract.operation), probe_user, key_given=bool(target.api_key),
                  read_only_user=settings.user if settings.read_only else None)
        if other is not None:  # the second app's key must work too, or APP-01 could never be judged
            preflight(ServiceApi(other, contract.operation), probe_user, key_given=True, key_source=OTHER_KEY)
    except BaseException:
        target.close()
        raise
    finally:
        http.close()
        if other is not None:
            other.close()
    return target


def _other_secrets(*keys: str | None) -> tuple[str, ...]:
    return tuple(key for key in keys if key)


def other_client(target: Target, settings: Settings, *, record: Callable[[Exchange], None],
                 rate_limit: float | None = None, max_requests: int | None = None,
                 share_limits_with: HttpClient | None = None) -> HttpClient:
    """The HTTP client of the second app (``--other-api-key``): its key shown as ``${DIFY_OTHER_API_KEY}``,
    the first app's key hidden too, its exchanges recorded with the run's."""
    return HttpClient(ClientSettings(base_url=target.base_url, api_key=target.other_api_key,
                                     timeout_s=settings.timeout_s, rate_limit=rate_limit, verify=settings.verify,
                                     max_requests=max_requests if max_requests is not None else settings.max_requests,
                                     run_max_requests=settings.max_requests, hidden=_other_secrets(target.api_key),
                                     key_placeholder=OTHER_KEY_PLACEHOLDER, concurrency=settings.concurrency),
                      record=record, share_limits_with=share_limits_with)


@dataclass(frozen=True, eq=False)
class RunInputs:
    """What ``dify-conformance run`` settled before pytest started, handed to the plugin as an object
    (``pytest.main(plugins=[inputs])``); without it (``pytest conformance``), the plugin settles the
    same things itself from its options. xdist workers rebuild the settings from the same flags."""

    settings: Settings
    contract: Contract
    waivers: list[Waiver]
    run_id: str
    started_at: datetime
    target: Target
    interrupt: threading.Event = field(default_factory=threading.Event)  # set by SIGINT/SIGTERM
    baseline: Any = None  # replay.Baseline: the earlier run a replay re-runs the failed checks of
    earlier_runs: dict[str, Any] | None = None  # what finishing killed runs' journals did (recovery.py)


@dataclass
class RunState:
    settings: Settings
    contract: Contract
    waivers: list[Waiver]
    run_id: str
    worker: str  # xdist worker id, "" without xdist
    is_controller: bool
    started_at: datetime
    deadline: float  # epoch seconds: the time budget ends here
    evidence_dir: Path
    target: Target
    validator: ResponseValidator
    users: TestUsers
    http: HttpClient | None = None
    api: ServiceApi | None = None
    log: EvidenceLog | None = None
    ledger: CreatedLedger = field(default_factory=CreatedLedger)
    # The second app (--other-api-key, APP-01): its own client, API and ledger (deleted through its key).
    other_http: HttpClient | None = None
    other_api: ServiceApi | None = None
    seeding: Future[Dataset] | None = None
    seeder: Seeder | None = None
    _read_only_dataset: ReadOnlyDataset | None = None
    fatal: str | None = None  # why the verdict is error
    interrupted: bool = False  # Ctrl-C or SIGTERM stopped the checks
    interrupt: threading.Event = field(default_factory=threading.Event)  # set by the CLI's signal handler
    selection: str | None = None  # how the user filtered the checks (-k, -m, node ids), if they did
    preflight_requests: int = 0  # requests the controller's preflight sent (part of --max-requests)
    run_result: RunResult | None = None  # controller, at the end
    notes: dict[str, Any] = field(default_factory=dict)  # controller, at the end: run notes by kind
    cache: dict[str, Any] = field(default_factory=dict)  # values made once per run for the checks (executor.py)
    baseline: Any = None  # replay.Baseline when this run is a replay (RunInputs)
    earlier_runs: dict[str, Any] | None = None  # notes.earlier_runs: killed runs' journals finished first
    leftovers_retryable: int = 0  # deletes of the cleanup that failed in a way a later try may not
    _pool: ThreadPoolExecutor | None = None
    _record: Callable[[Exchange], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recorder(self) -> Callable[[Exchange], None]:
        """Where this process' exchanges go: the evidence log, and the cross-cutting oracle beside it."""
        if self.log is None:
            self.log = EvidenceLog(self.evidence_dir)
            self._record = recorder(self.log.record, CrosscutOracle(self.log, self.validator.crosscut,
                                                                    self.contract.operation.path))
        assert self._record is not None
        return self._record

    def record_preflight(self) -> None:
        """The controller's preflight exchanges go into the evidence like any other (count, ROBUST-01)."""
        record = self._recorder()
        for exchange in self.target.preflight:
            record(exchange)

    def open_client(self) -> None:
        """The HTTP client, evidence log and (write mode) the background seeding of this process."""
        record = self._recorder()
        rate_limit, max_requests = self.settings.rate_limit, self.settings.max_requests
        concurrency = self.settings.concurrency
        if max_requests:  # the controller's preflight spent part of the budget already
            max_requests = max(1, max_requests - self.preflight_requests)
        if self.worker:  # --rate-limit, --max-requests, --concurrency cap the whole run: each xdist worker a share
            workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))
            rate_limit = rate_limit / workers if rate_limit else rate_limit
            max_requests = max(1, max_requests // workers) if max_requests else max_requests
            concurrency = max(1, concurrency // workers)
        other_cap = None
        if self.target.other_api_key and max_requests:  # the second app's requests come out of the same cap
            other_cap = max(1, max_requests // 8)
            max_requests = max(1, max_requests - other_cap)
        self.http = HttpClient(
            ClientSettings(
                base_url=self.target.base_url,
                api_key=self.target.api_key,
                timeout_s=self.settings.timeout_s,
                rate_limit=rate_limit,
                verify=self.settings.verify,
                max_requests=max_requests,
                run_max_requests=self.settings.max_requests,
                concurrency=concurrency,
                hidden=_other_secrets(self.target.other_api_key),
            ),
            record=record,
        )
        self.api = ServiceApi(self.http, self.contract.operation)
        if not self.settings.read_only and self.ledger.journal is None:
            from ..data.journal import Journal, journal_path

            self.ledger.attach(Journal(journal_path(self.settings.report_dir, self.run_id), run_id=self.run_id,
                                       base_url=self.target.base_url, bundled=self.settings.base_url is None))
        if self.target.other_api_key:
            # APP-01's requests through the second key: recorded with the run's, capped by their share.
            # --rate-limit, a 429's hold and --concurrency cap both apps' requests together.
            self.other_http = other_client(self.target, self.settings, record=record, rate_limit=rate_limit,
                                           max_requests=other_cap, share_limits_with=self.http)
            self.other_api = ServiceApi(self.other_http, self.contract.operation)

    def start_seeding(self) -> None:
        """Make the test data in the background: the waits for distinct seconds overlap other checks."""
        if self.settings.read_only or self.api is None:
            return
        plan = self.settings.profile.seed_plan(self.contract)
        self.seeder = Seeder(self.api, self.users, plan, self.ledger, page_limit=self.contract.limit.maximum,
                             concurrency=self.settings.concurrency)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dify-conformance-seeding")
        self.seeding = self._pool.submit(self.seeder.run)

    def dataset(self) -> Dataset:
        """The run's data, waiting for the seeding if it still runs; SeedingError if it failed."""
        if self.settings.read_only:
            return self._read_only()
        assert self.seeding is not None
        return self.seeding.result()

    def _read_only(self) -> Dataset:
        """The existing user's conversations: the union of full walks under every sort (readonly.py)."""
        with self._lock:
            if self._read_only_dataset is None:
                assert self.api is not None
                listing = read_listing(self.api, self.contract, self.users.main)
                other_user = self.settings.other_user
                other = read_listing(self.api, self.contract, other_user) if other_user else None
                if not listing.walks:
                    from ..data.dataset import SeedingError

                    raise SeedingError(f"the conversations of {self.users.main!r} could not be read: "
                                       f"{listing.why_undecided()}")
                users = dataclasses.replace(self.users, twin=other_user) if other_user else self.users
                window = self.contract.limit.maximum or self.contract.limit.default or 100
                self._read_only_dataset = ReadOnlyDataset(users, listing, other, window=window)
            return self._read_only_dataset

    def record_check(self, result: CheckResult) -> None:
        """One check's result, as an event of this process' log (the controller reads them all)."""
        self._recorder()
        assert self.log is not None
        self.log.check(result)

    def seeding_error(self) -> str | None:
        """Why the test data could not be made, once the seeding has ended; None if it worked or never ran."""
        if self.seeding is None or not self.seeding.done():
            return None
        error = self.seeding.exception()
        return None if error is None else f"the test data could not be made: {error}"

    def finish_data(self) -> list[str]:
        """Stop the seeding, then delete everything the run made; one line per conversation not deleted.

        The journal goes when nothing is left that a later try could delete (a 404 is final: the target
        lost track of it); it stays, for ``dify-conformance cleanup``, when a delete failed otherwise.
        With xdist each worker shares the one journal file: the controller removes it (``drop_journal``)."""
        if self.seeder is not None:
            self.seeder.stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # the seeder stops at its next step when interrupted
        if self.api is None or self.settings.read_only:
            return []
        apis = {MAIN_APP: self.api, **({OTHER_APP: self.other_api} if self.other_api is not None else {})}
        left = self.ledger.cleanup(apis, concurrency=self.settings.concurrency, page_limit=self.contract.limit.maximum)
        self.leftovers_retryable = left.retryable
        if self.ledger.journal is not None:
            self.ledger.journal.close()
        return left.failures

    def drop_journal(self, *, retryable: bool) -> None:
        """The controller, once every process cleaned up: remove the journal unless a later try may help."""
        from ..data.journal import journal_path

        if not retryable and not self.settings.read_only:
            journal_path(self.settings.report_dir, self.run_id).unlink(missing_ok=True)


STATE = pytest.StashKey[RunState]()  # the run state of one pytest process, in config.stash


def state_of(config: pytest.Config) -> RunState:
    """The run state the plugin put in ``config.stash`` (fixtures and suite modules read it here)."""
    return config.stash[STATE]
