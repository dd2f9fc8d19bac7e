"""docs/ci: the GitHub Actions and GitLab CI examples run `dify-conformance run` with a report
directory, take the key from the CI's secrets, let the exit status gate the pipeline and publish
junit.xml as test results and report.html as an artifact, also when the run failed. Their command
line is the real one: it parses, and run as written it leaves the files the publish steps name.
And tox.ini: the environments the README names."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import _parser
from conformance.server.process import ReferenceServer

from .conftest import KEY

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _run_command(text: str) -> list[str]:
    """The `dify-conformance run ...` line of a script, split as the shell would (quotes removed)."""
    lines = [line.strip() for line in text.splitlines() if "dify-conformance run" in line]
    assert len(lines) == 1, text
    words = shlex.split(lines[0])
    assert words[:2] == ["dify-conformance", "run"], words
    return words


def _report_dir(words: list[str]) -> str:
    values = {"$PROFILE": "quick", "$DIFY_BASE_URL": "https://dify.example.com/v1"}
    args = _parser().parse_args([values.get(w, w) for w in words[1:]])  # the flags are real ones
    assert args.command == "run" and args.report_dir, words
    assert args.api_key is None, "the key comes from the environment, never the command line"
    assert args.base_url == values["$DIFY_BASE_URL"], "a missing URL must fail, not test the bundled server"
    return args.report_dir


def _github_steps() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    workflow = _load(GITHUB)
    assert workflow.get("on", workflow.get(True)), "triggers"  # YAML 1.1 reads a bare `on` as true
    (job,) = workflow["jobs"].values()
    return job, job["steps"]


def test_github_workflow_gates_on_the_run_and_publishes_junit_and_html():
    job, steps = _github_steps()
    (run_step,) = [s for s in steps if "dify-conformance run" in s.get("run", "")]
    report_dir = _report_dir(_run_command(run_step["run"]))
    assert not run_step.get("continue-on-error") and "|| true" not in run_step["run"], "the exit status gates"
    env = {**job.get("env", {}), **run_step.get("env", {})}
    assert "secrets.DIFY_API_KEY" in env["DIFY_API_KEY"], env
    later = steps[steps.index(run_step) + 1:]
    (junit,) = [s for s in later if s.get("uses", "").startswith(("mikepenz/action-junit-report@",
                                                                  "dorny/test-reporter@"))]
    assert junit["with"].get("report_paths", junit["with"].get("path")) == f"{report_dir}/junit.xml"
    (upload,) = [s for s in later if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert f"{report_dir}/report.html" in upload["with"]["path"].split()
    for step in (junit, upload):
        assert step.get("if") in ("${{ !cancelled() }}", "${{ always() }}", "always()", "!cancelled()"), step
    assert _github_installs_xdist(steps) or "-n" not in _run_command(run_step["run"])
    assert _load(GITHUB)["permissions"]["checks"] == "write", "the JUnit action publishes a check run"


def _github_installs_xdist(steps: list[dict[str, Any]]) -> bool:
    return any("pip install" in s.get("run", "") and "pytest-xdist" in s["run"] for s in steps)


def test_gitlab_job_gates_on_the_run_and_publishes_junit_and_html():
    config = _load(GITLAB)
    jobs = {name: job for name, job in config.items() if isinstance(job, dict) and "script" in job}
    ((name, job),) = jobs.items()
    script = "\n".join(job["script"])
    words = _run_command(script)
    report_dir = _report_dir(words)
    assert "|| true" not in script and job.get("allow_failure") in (None, False), "the exit status gates"
    assert "DIFY_API_KEY" not in job.get("variables", {}), "the key is a masked CI/CD variable, not in the file"
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always", "reports are kept when the run fails too"
    assert artifacts["reports"]["junit"] == f"{report_dir}/junit.xml"
    assert f"{report_dir}/report.html" in artifacts["paths"]
    assert "-n" not in words or "pytest-xdist" in script
    assert job["stage"] in config.get("stages", ["test"])


def _ci_shell(line: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    env.update(variables, PROFILE="quick", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run(["sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _gitlab_job() -> dict[str, Any]:
    return next(j for j in _load(GITLAB).values() if isinstance(j, dict) and "script" in j)


@pytest.mark.slow
def test_the_ci_command_as_written_passes_against_the_reference_and_leaves_what_is_published(tmp_path):
    """The GitLab script's run line, through a shell, as CI runs it, with the CI's two variables set."""
    job = _gitlab_job()
    (line,) = [line for line in job["script"] if line.startswith("dify-conformance run")]
    with ReferenceServer(api_keys=[KEY]) as server:
        done = _ci_shell(line, tmp_path, DIFY_BASE_URL=server.base_url, DIFY_API_KEY=KEY)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert KEY not in done.stdout + done.stderr
    published = [job["artifacts"]["reports"]["junit"], *job["artifacts"]["paths"]]
    present = {p for p in published if (tmp_path / p).is_file()}
    assert present == {p for p in published if not p.endswith("certification.zip")}, present  # quick: no zip


def test_the_ci_command_without_its_url_fails_instead_of_testing_the_bundled_server(tmp_path):
    (line,) = [line for line in _gitlab_job()["script"] if line.startswith("dify-conformance run")]
    done = _ci_shell(line, tmp_path, DIFY_API_KEY=KEY)  # DIFY_BASE_URL unset, as when the variable is missing
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert "--base-url" in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_tox_ini_has_the_tests_lint_and_conformance_environments():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    assert tox["testenv:tests"]["commands"].strip() == "pytest {posargs}"
    assert tox["testenv:tests"]["extras"].strip() == "test"
    lint = tox["testenv:lint"]["commands"]
    assert "ruff check conformance" in lint and "mypy conformance" in lint
    assert tox["testenv:conformance"]["commands"].strip() == "dify-conformance run {posargs}"
    assert {"DIFY_BASE_URL", "DIFY_API_KEY"} <= set(tox["testenv:conformance"]["passenv"].split())


def test_tox_lists_the_environments():
    pytest.importorskip("tox", reason="tox is not installed here (pip install tox); tox.ini is checked above")
    listed = subprocess.run([sys.executable, "-m", "tox", "-l"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == {"tests", "lint"}, "the default environments: no target is tested by default"
    every = subprocess.run([sys.executable, "-m", "tox", "list"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    names = {line.split("->")[0].strip() for line in every.stdout.splitlines() if "->" in line}
    assert every.returncode == 0 and names == {"tests", "lint", "conformance"}, every.stdout
