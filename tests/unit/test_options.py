"""Each run option is declared once (conformance/config/options.py); the CLI, the pytest plugin and the
config file all take their options from that one table, and xdist workers get the settings whole."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from conformance.cli import _parser
from conformance.config.options import RUN_OPTIONS
from conformance.config.settings import CONFIG_KEYS, build_settings, settings_from_wire, settings_to_wire


def _run_parser() -> argparse.ArgumentParser:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["run"]


def test_the_cli_offers_exactly_the_declared_options():
    flags = {s for a in _run_parser()._actions for s in a.option_strings if s not in ("-h", "--help")}
    assert flags == {o.flag for o in RUN_OPTIONS}


def test_the_pytest_plugin_offers_exactly_the_declared_options():
    from conformance.run.plugin import pytest_addoption

    declared: list[str] = []

    class Group:
        def addoption(self, flag: str, **kwargs: object) -> None:
            declared.append(flag)

    class Parser:
        def getgroup(self, *args: object) -> Group:
            return Group()

    pytest_addoption(Parser())  # type: ignore[arg-type]
    assert declared == [o.flag for o in RUN_OPTIONS]


def test_the_config_file_takes_every_option_but_the_keys():
    assert set(CONFIG_KEYS) == {o.name for o in RUN_OPTIONS if o.name not in ("api_key", "other_api_key")}


def test_an_environment_variable_is_named_in_the_help():
    help_text = " ".join(_run_parser().format_help().split())
    assert "(env DIFY_BASE_URL)" in help_text and "(env DIFY_API_KEY)" in help_text


@pytest.mark.parametrize("flags", [
    {},
    {"base_url": "https://dify.example.com/v1", "read_only": True, "user": "u1", "other_user": "u2",
     "max_requests": "500", "profile": "full", "seed": "42", "timeout": "5", "insecure": True},
])
def test_settings_travel_to_workers_whole(tmp_path: Path, flags):
    settings = build_settings(flags, environ={"DIFY_API_KEY": "app-k"}, cwd=tmp_path)
    wire = settings_to_wire(settings)
    assert "api_key" not in wire and "app-k" not in str(wire)
    assert settings_from_wire(wire, api_key="app-k") == settings


def test_the_other_apps_key_comes_from_the_environment_and_travels_apart(tmp_path: Path):
    environ = {"DIFY_API_KEY": "app-k", "DIFY_OTHER_API_KEY": "app-other-k"}
    settings = build_settings({}, environ=environ, cwd=tmp_path)
    assert settings.other_api_key == "app-other-k" and "app-other-k" not in repr(settings)
    wire = settings_to_wire(settings)
    assert "other_api_key" not in wire and "app-other-k" not in str(wire)
    assert settings_from_wire(wire, api_key="app-k", other_api_key="app-other-k") == settings
    assert build_settings({"other_api_key": "app-flag"}, environ=environ, cwd=tmp_path).other_api_key == "app-flag"


def test_the_other_apps_key_is_never_read_from_a_file_nor_the_same_key(tmp_path: Path):
    from conformance.errors import UsageError

    (tmp_path / "dify-conformance.toml").write_text('other_api_key = "app-in-a-file"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="DIFY_OTHER_API_KEY") as raised:
        build_settings({}, environ={}, cwd=tmp_path)
    assert "app-in-a-file" not in str(raised.value)
    (tmp_path / "dify-conformance.toml").unlink()
    with pytest.raises(UsageError, match="second app"):
        build_settings({}, environ={"DIFY_API_KEY": "app-k", "DIFY_OTHER_API_KEY": "app-k"}, cwd=tmp_path)
