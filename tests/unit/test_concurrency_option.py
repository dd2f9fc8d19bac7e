"""--concurrency N: declared once (flag, DIFY_CONCURRENCY, config-file key), a whole number >= 1,
default 4; a bad value is one line and exit 2; xdist workers get it whole with the other settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.config.options import option_named
from conformance.config.settings import build_settings, settings_from_wire, settings_to_wire
from conformance.errors import UsageError


def test_declared_once_with_its_environment_variable():
    option = option_named("concurrency")
    assert (option.flag, option.env, option.kind, option.in_files) == ("--concurrency", "DIFY_CONCURRENCY", int, True)


def test_default_flag_environment_and_file(tmp_path: Path):
    assert build_settings({}, environ={}, cwd=tmp_path).concurrency == 4
    assert build_settings({"concurrency": "1"}, environ={"DIFY_CONCURRENCY": "8"}, cwd=tmp_path).concurrency == 1
    assert build_settings({}, environ={"DIFY_CONCURRENCY": "8"}, cwd=tmp_path).concurrency == 8
    (tmp_path / "dify-conformance.toml").write_text("concurrency = 2\n")
    assert build_settings({}, environ={}, cwd=tmp_path).concurrency == 2


@pytest.mark.parametrize(("flags", "environ", "message"), [
    ({"concurrency": "0"}, {}, "--concurrency must be at least 1, got '0'"),
    ({"concurrency": "1.5"}, {}, "--concurrency must be a whole number, got '1.5'"),
    ({}, {"DIFY_CONCURRENCY": "many"}, "DIFY_CONCURRENCY must be a whole number, got 'many'"),
])
def test_a_bad_value_is_one_clear_line(tmp_path: Path, flags, environ, message):
    with pytest.raises(UsageError) as raised:
        build_settings(flags, environ=environ, cwd=tmp_path)
    assert str(raised.value) == message


def test_a_bad_value_in_the_config_file_names_the_file(tmp_path: Path):
    (tmp_path / "dify-conformance.toml").write_text('concurrency = "4"\n')
    with pytest.raises(UsageError, match=r"dify-conformance.toml: concurrency must be an integer"):
        build_settings({}, environ={}, cwd=tmp_path)


def test_the_cli_ends_a_bad_value_with_exit_2_and_one_line(capsys):
    assert main(["run", "--concurrency", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "--concurrency must be at least 1" in err, err


def test_workers_get_it_whole(tmp_path: Path):
    settings = build_settings({"concurrency": "6"}, environ={}, cwd=tmp_path)
    assert settings_from_wire(settings_to_wire(settings), api_key=None).concurrency == 6


@pytest.mark.parametrize(("worker", "workers", "expected"), [("", None, 6), ("gw0", "2", 3), ("gw1", "8", 1)])
def test_the_run_state_gives_the_client_the_run_wide_cap_or_a_workers_share(tmp_path, monkeypatch, worker, workers,
                                                                            expected):
    from datetime import datetime

    from conformance.run.runstate import RunState, Target
    from conformance.spec.contract import load_contract

    if workers is not None:
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", workers)
    settings = build_settings({"concurrency": "6"}, environ={}, cwd=tmp_path)
    state = RunState(settings=settings, contract=load_contract(), waivers=[], run_id="r", worker=worker,
                     is_controller=not worker, started_at=datetime.now(), deadline=0.0, evidence_dir=tmp_path,
                     target=Target("http://127.0.0.1:9/v1", None), validator=None, users=None)  # not used here
    state.log, state._record = object(), lambda exchange: None  # no evidence log: nothing is sent
    state.open_client()
    assert state.http is not None and state.http.settings.concurrency == expected
    state.http.close()
