"""The start of a run in one pytest process: its settings, its ``RunState``, its target.

Owns what ``pytest_configure`` does: the settings (from the CLI's ``RunInputs``, the controller's
wire form on an xdist worker, or pytest's own options), the contract and waivers, the hypothesis
profile, the ``RunState`` in ``config.stash``, how the user narrowed the checks, and, for ``pytest
conformance`` without the CLI, the target resolved and preflighted (exit 2 or 3 end the run here).
The plugin module (``plugin.py``) calls it; nothing here is a hook but ``XdistController``'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest

from ..config.options import RUN_OPTIONS
from ..config.settings import build_settings, settings_from_wire, settings_to_wire
from ..config.waivers import load_waivers
from ..data.dataset import TestUsers
from ..errors import EXIT_USAGE, ConformanceError, TargetUnusable, UsageError
from ..oracles.schema import ResponseValidator
from ..spec.contract import load_contract
from .runstate import STATE, RunInputs, RunState, Target, new_run_id, resolve_target

__all__ = ["PACKAGE_DIR", "XdistController", "start_run"]

PACKAGE_DIR = Path(__file__).parent.parent  # conformance/: what `pytest conformance` collects


def start_run(config: pytest.Config) -> RunState:
    """The run state of this process, kept in ``config.stash``; a bad option or spec ends pytest (exit 2)."""
    workerinput = getattr(config, "workerinput", None)
    inputs = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunInputs)), None)
    try:
        if inputs is not None:  # dify-conformance run settled these before pytest started
            settings, contract, waivers = inputs.settings, inputs.contract, inputs.waivers
        else:
            if workerinput is not None:  # the controller's settings, sent once: options are not parsed again
                settings = settings_from_wire(workerinput["dify_settings"], workerinput.get("dify_api_key"),
                                              workerinput.get("dify_other_api_key"))
            else:
                settings = build_settings({o.name: config.getoption(o.name) for o in RUN_OPTIONS})
            contract = load_contract(settings.spec_path)
            waivers = load_waivers(settings.waivers_path) if settings.waivers_path else []
    except ConformanceError as exc:
        pytest.exit(f"dify-conformance: {exc}", returncode=EXIT_USAGE)
    if workerinput is not None:
        run_id = workerinput["dify_run_id"]
        started_at = datetime.fromisoformat(workerinput["dify_started_at"])
        target: Target | None = Target(workerinput["dify_base_url"], workerinput.get("dify_api_key"),
                                       other_api_key=workerinput.get("dify_other_api_key"))
        evidence_dir = Path(workerinput["dify_evidence_dir"])
        worker = workerinput["workerid"]
    else:
        run_id, started_at = (inputs.run_id, inputs.started_at) if inputs else (new_run_id(), datetime.now(UTC))
        evidence_dir = settings.report_dir / f".evidence-{run_id}"
        worker, target = "", inputs.target if inputs else None
    # --hypothesis-seed of hypothesis' own plugin, read after this (tryfirst) hook.
    config.option.hypothesis_seed = settings.seed
    _register_hypothesis_profile(settings.profile)
    users = TestUsers.read_only(settings.user) if settings.read_only and settings.user else TestUsers.for_run(
        run_id, worker)
    state = RunState(
        settings=settings, contract=contract, waivers=waivers, run_id=run_id, worker=worker,
        is_controller=workerinput is None, started_at=started_at,
        deadline=started_at.timestamp() + settings.time_budget_s, evidence_dir=evidence_dir,
        target=target or Target("", None), validator=ResponseValidator(contract), users=users,
    )
    config.stash[STATE] = state
    state.selection = _selection(config)
    if inputs is not None:
        state.interrupt = inputs.interrupt
        state.baseline = inputs.baseline
        state.earlier_runs = inputs.earlier_runs
    if workerinput is None:
        if config.pluginmanager.hasplugin("xdist"):  # its hooks exist only where it is installed
            config.pluginmanager.register(XdistController(state), "dify-conformance-xdist")
        from .progress import Progress  # which group runs, requests so far: on the terminal of the controller

        config.pluginmanager.register(Progress(state.evidence_dir), "dify-conformance-progress")
        if target is None:
            _resolve_target(state)
        state.preflight_requests = len(state.target.preflight)
    else:
        state.preflight_requests = workerinput.get("dify_preflight_requests", 0)
    return state


def _register_hypothesis_profile(profile: Any) -> None:
    hypothesis.settings.register_profile(
        f"dify-conformance-{profile.name}",
        max_examples=profile.examples,
        derandomize=profile.derandomize,
        deadline=None,
        database=None,  # reproducible from --seed alone, and nothing written to the user's directory
        print_blob=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        # No "explain" phase: it re-runs failing examples, each a series of requests, to annotate them.
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate, hypothesis.Phase.target,
                hypothesis.Phase.shrink],
    )
    hypothesis.settings.load_profile(f"dify-conformance-{profile.name}")


def _selection(config: pytest.Config) -> str | None:
    """How the user narrowed the checks, if they did: such a run certifies nothing (CONTRACT.md)."""
    option = config.option
    used = [f"-k {option.keyword!r}" if getattr(option, "keyword", "") else "",
            f"-m {option.markexpr!r}" if getattr(option, "markexpr", "") else "",
            "--deselect" if getattr(option, "deselect", None) else "",
            "-x/--maxfail" if getattr(option, "maxfail", 0) else ""]
    suite = PACKAGE_DIR.resolve()
    narrowed = [a for a in config.args if Path(a.split("::", 1)[0]).resolve() != suite]
    if narrowed:
        used.append(f"only {' '.join(narrowed)}")
    return ", ".join(u for u in used if u) or None


def _resolve_target(state: RunState) -> None:
    """``pytest conformance`` (the CLI does this itself, before pytest): start the reference server if
    no URL was given, then preflight the target; an unusable one ends the run with exit 3 and reports."""
    from .finish import clear_reports, write_error_reports
    from .recovery import finish_killed_runs

    try:
        state.earlier_runs = finish_killed_runs(state.settings).note()  # first (CONTRACT.md, Test data)
        clear_reports(state.settings.report_dir)
        probe = state.users.probes[0] if state.users.probes else state.users.main
        state.target = resolve_target(state.settings, state.contract, probe)
    except (TargetUnusable, UsageError) as exc:
        write_error_reports(state.settings, state.contract, state.waivers, run_id=state.run_id,
                            started_at=state.started_at, reason=str(exc))
        pytest.exit(f"dify-conformance: {exc}", returncode=exc.exit_status)
    except OSError as exc:  # e.g. the report directory cannot be written
        pytest.exit(f"dify-conformance: {exc}", returncode=EXIT_USAGE)


class XdistController:
    """Registered only when pytest-xdist is loaded: its hook is unknown to pytest otherwise."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        """Every worker tests the same target, with its own users and data."""
        state = self.state
        node.workerinput.update(
            dify_settings=settings_to_wire(state.settings),
            dify_run_id=state.run_id,
            dify_preflight_requests=state.preflight_requests,
            dify_started_at=state.started_at.isoformat(),
            dify_base_url=state.target.base_url,
            dify_api_key=state.target.api_key,
            dify_other_api_key=state.target.other_api_key,
            dify_evidence_dir=str(state.evidence_dir),
        )
