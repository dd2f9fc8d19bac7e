"""Settings from ``dify-conformance.toml`` or ``[tool.dify-conformance]`` of ``pyproject.toml``, under
environment variables, under flags; the API key only from the environment or a flag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.config.settings import CONFIG_KEYS, build_settings
from conformance.errors import EXIT_USAGE, UsageError
from conformance.server.process import ReferenceServer

from .conftest import KEY, cli

NO_FLAGS: dict[str, object] = {}
FILE = """base_url = "https://file.example.com/v1"
report_dir = "from-file"
profile = "full"
seed = 42
timeout = 12
rate_limit = 2.5
time_budget = 100
max_requests = 500
"""


def _write(directory: Path, text: str, name: str = "dify-conformance.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(workdir):
    settings = build_settings(NO_FLAGS, environ={}, cwd=workdir)
    assert settings.base_url is None and settings.api_key is None and settings.spec_path is None
    assert (settings.report_dir, settings.profile.name, settings.timeout_s) == (Path("reports"), "quick", 30.0)
    assert settings.time_budget_s == settings.profile.time_budget_s and settings.verify is True


def test_dify_conformance_toml_sets_every_option(workdir):
    _write(workdir, FILE + 'spec = "my.yaml"\nwaivers = "w.toml"\n')
    settings = build_settings(NO_FLAGS, environ={}, cwd=workdir)
    assert settings.base_url == "https://file.example.com/v1"
    assert settings.report_dir == Path("from-file") and settings.profile.name == "full" and settings.seed == 42
    assert (settings.timeout_s, settings.rate_limit, settings.time_budget_s) == (12.0, 2.5, 100.0)
    assert (settings.spec_path, settings.waivers_path) == ("my.yaml", "w.toml")
    assert settings.max_requests == 500


def test_read_only_and_insecure_from_the_file(workdir):
    _write(workdir, 'base_url = "https://x.example/v1"\nread_only = true\nuser = "bob"\ninsecure = true\n')
    settings = build_settings(NO_FLAGS, environ={}, cwd=workdir)
    assert settings.read_only and settings.user == "bob" and settings.verify is False


def test_pyproject_table_is_read_and_other_tables_ignored(workdir):
    _write(workdir, '[project]\nname = "x"\n[tool.other]\nseed = 1\n[tool.dify-conformance]\nseed = 7\n',
           "pyproject.toml")
    assert build_settings(NO_FLAGS, environ={}, cwd=workdir).seed == 7


def test_pyproject_without_the_table_changes_nothing(workdir):
    _write(workdir, '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n', "pyproject.toml")
    assert build_settings(NO_FLAGS, environ={}, cwd=workdir).profile.name == "quick"


def test_dify_conformance_toml_wins_over_pyproject(workdir):
    _write(workdir, "[tool.dify-conformance]\nseed = 7\nprofile = \"full\"\n", "pyproject.toml")
    _write(workdir, "seed = 8\n")
    settings = build_settings(NO_FLAGS, environ={}, cwd=workdir)
    assert settings.seed == 8 and settings.profile.name == "quick", "one file is read, not a merge"


def test_environment_overrides_the_file_and_flags_override_both(workdir):
    _write(workdir, FILE)
    env = {"DIFY_BASE_URL": "https://env.example.com/v1/", "DIFY_API_KEY": "app-env"}
    settings = build_settings(NO_FLAGS, environ=env, cwd=workdir)
    assert (settings.base_url, settings.api_key) == ("https://env.example.com/v1", "app-env")
    flags = {"base_url": "https://flag.example.com/v1", "api_key": "app-flag", "profile": "quick", "seed": "9",
             "report_dir": "from-flag", "timeout": "3", "rate_limit": "7", "time_budget": "60"}
    settings = build_settings(flags, environ=env, cwd=workdir)
    assert (settings.base_url, settings.api_key) == ("https://flag.example.com/v1", "app-flag")
    assert (settings.profile.name, settings.seed, settings.report_dir) == ("quick", 9, Path("from-flag"))
    assert (settings.timeout_s, settings.rate_limit, settings.time_budget_s) == (3.0, 7.0, 60.0)


def test_an_empty_environment_variable_does_not_hide_the_file(workdir):
    _write(workdir, FILE)
    assert build_settings(NO_FLAGS, environ={"DIFY_BASE_URL": ""}, cwd=workdir).base_url == \
        "https://file.example.com/v1"


@pytest.mark.parametrize("name", ["dify-conformance.toml", "pyproject.toml"])
def test_a_key_in_a_file_is_a_usage_error_that_does_not_repeat_it(workdir, name):
    table = "[tool.dify-conformance]\n" if name == "pyproject.toml" else ""
    path = _write(workdir, f'{table}api_key = "app-secret-in-a-file"\n', name)
    with pytest.raises(UsageError) as caught:
        build_settings({"api_key": "app-flag"}, environ={"DIFY_API_KEY": "app-env"}, cwd=workdir)
    message = str(caught.value)
    assert str(path) in message and "DIFY_API_KEY" in message and "--api-key" in message
    assert "app-secret-in-a-file" not in message and "\n" not in message
    assert caught.value.exit_status == EXIT_USAGE


@pytest.mark.parametrize(("text", "expected"), [
    ("bogus = 1\n", "unknown setting 'bogus'"),
    ('seed = "7"\n', "seed must be an integer, got '7'"),
    ("timeout = true\n", "timeout must be a number, got True"),
    ('read_only = "yes"\n', "read_only must be true or false"),
    ('profile = "fast"\n', "profile in "),
    ("seed = -1\n", "seed in "),
    ("timeout = nan\n", "must be a finite number"),
    ("max_requests = 0\n", "max_requests in "),
    ("max_requests = 2.5\n", "max_requests must be an integer"),
    ('other_user = "bob"\n', "other_user in "),
    ('base_url = "dify.example.com"\n', "base_url in "),
    ("seed = \n", "cannot read the config file"),
    ('[tool]\n"dify-conformance" = 3\n', None),  # a dotted key in dify-conformance.toml: unknown setting
])
def test_a_wrong_file_is_a_one_line_usage_error_naming_the_file(workdir, text, expected):
    path = _write(workdir, text)
    with pytest.raises(UsageError) as caught:
        build_settings(NO_FLAGS, environ={}, cwd=workdir)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message, message
    if expected:
        assert expected in message


def test_other_user_is_read_with_read_only_from_the_file(workdir):
    _write(workdir, 'base_url = "https://x.example/v1"\nread_only = true\nuser = "bob"\nother_user = "eve"\n')
    assert build_settings(NO_FLAGS, environ={}, cwd=workdir).other_user == "eve"


@pytest.mark.parametrize(("flags", "expected"), [
    ({"max_requests": "0"}, "--max-requests must be at least 1, got '0'"),
    ({"max_requests": "ten"}, "--max-requests must be a whole number, got 'ten'"),
    ({"max_requests": "1.5"}, "--max-requests must be a whole number"),
    ({"other_user": "eve"}, "--other-user is for --read-only runs"),
    ({"other_user": "bob", "read_only": True, "user": "bob", "base_url": "https://x.example/v1"},
     "--other-user must name a second user"),
])
def test_bad_max_requests_and_other_user_flags_are_one_line_usage_errors(workdir, flags, expected):
    with pytest.raises(UsageError) as caught:
        build_settings(flags, environ={}, cwd=workdir)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_max_requests_and_other_user_from_flags(workdir):
    flags = {"max_requests": "40", "read_only": True, "user": "bob", "other_user": "eve",
             "base_url": "https://x.example/v1"}
    settings = build_settings(flags, environ={}, cwd=workdir)
    assert (settings.max_requests, settings.other_user) == (40, "eve")


def test_cli_refuses_other_user_without_read_only_with_exit_2(workdir):
    done = subprocess.run([sys.executable, "-m", "conformance", "run", "--other-user", "eve"], cwd=workdir,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--other-user is for --read-only runs" in done.stderr and "Traceback" not in done.stderr


def test_every_option_but_the_keys_can_come_from_the_file():
    from conformance.config.options import RUN_OPTIONS

    assert set(CONFIG_KEYS) == {o.name for o in RUN_OPTIONS} - {"api_key", "other_api_key"}


def test_cli_refuses_a_key_in_the_file_in_one_line_with_exit_2(workdir):
    _write(workdir, '[tool.dify-conformance]\napi_key = "app-secret-in-a-file"\n', "pyproject.toml")
    done = subprocess.run([sys.executable, "-m", "conformance", "run"], cwd=workdir, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "DIFY_API_KEY": KEY})
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("dify-conformance: error: ") and "api_key" in done.stderr
    assert "app-secret-in-a-file" not in done.stderr and "Traceback" not in done.stderr
    assert not (workdir / "reports").exists(), "nothing ran"


@pytest.mark.slow
def test_cli_run_takes_profile_seed_and_report_dir_from_the_file_and_the_target_from_the_environment(workdir):
    """End to end: nothing on the command line but a subset (-k) to keep it short; the file names an
    unreachable target that the environment overrides."""
    _write(workdir, 'profile = "full"\nseed = 4242\nreport_dir = "out/conformance"\n'
                    'base_url = "http://127.0.0.1:9/v1"\n')
    with ReferenceServer(api_keys=[KEY]) as server:
        run = cli("--", "-k", "test_auth or test_stable", cwd=workdir, env={"DIFY_BASE_URL": server.base_url})
    report_dir = workdir / "out" / "conformance"
    run.report_dir = report_dir
    assert run.exit_code == 0, run.explain()
    summary = run.summary
    assert (summary["profile"], summary["seed"], summary["target"]["base_url"]) == ("full", 4242, server.base_url)
    # A filtered run certifies nothing, and says why.
    assert {p.name for p in report_dir.iterdir()} == {"summary.json", "junit.xml", "report.html"}
    assert summary["certification"] == {"bundle": False, "reason": "the checks were filtered (-k 'test_auth or "
                                        "test_stable'): a bundle certifies an unfiltered run only"}
    assert "profile full  seed 4242" in run.stdout
    assert not (workdir / "reports").exists()
