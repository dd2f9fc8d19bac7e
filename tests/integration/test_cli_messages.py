"""What a user meets on the command line when something is off: one line each, the documented exit
status, and selection by requirement id with -k."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import cli


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, hint", [
    (["run", "--profile", "fast"], "(see dify-conformance run --help)"),
    (["runn"], "(see dify-conformance --help)"),
    (["verify"], "(see dify-conformance verify --help)"),
])
def test_a_usage_error_is_one_line_naming_the_help_to_read(args, hint):
    completed = _command(*args)
    assert completed.returncode == 2 and completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith("dify-conformance: error: ") and line.endswith(hint), line


def test_a_bad_pytest_argument_is_one_line_of_ours(workdir):
    run = cli("--", "--no-such-pytest-flag", cwd=workdir)
    assert run.exit_code == 2, run.explain()
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert lines == ["dify-conformance: error: pytest arguments after --: unrecognized arguments: "
                     "--no-such-pytest-flag (see pytest --help)"], run.explain()


def test_k_selects_checks_by_requirement_id(workdir):
    run = cli("--", "-k", "PAGE-03 or PAGE-04", "--collect-only", "-v", cwd=workdir)  # -v undoes the suite's -q
    collected = {line.split("<Function ", 1)[1].split("[")[0].rstrip(">") for line in run.stdout.splitlines()
                 if "<Function " in line}
    assert {"test_a_cursor_naming_no_conversation_is_refused", "test_malformed_cursors_are_refused",
            "test_another_users_conversation_is_no_cursor"} <= collected, run.explain()
    assert not any("test_auth" in line for line in run.stdout.splitlines()), run.explain()


def test_serve_documents_every_option():
    completed = _command("serve", "--help")
    assert completed.returncode == 0
    options = completed.stdout.split("\noptions:\n", 1)[1]
    entries = {entry.split()[0]: " ".join(entry.split()) for entry in options.split("\n  -") if entry.strip()}
    for flag in ("-limit-min", "-limit-max", "-limit-default", "-sort-values", "-sort-default"):
        assert "(default " in entries[flag], entries[flag]
