"""docs/ci: the GitHub Actions and GitLab CI examples install the suite from its repository pinned
to a commit (never by name from a package index), run `dify-conformance run` with a report
directory, take the key from the CI's secrets, let the exit status gate the pipeline and publish
junit.xml as test results and report.html as an artifact, also when the run failed. Their steps are
the real ones: run as written in a fresh virtual environment, they install the suite, pass against
the reference server and leave the files the publish steps name.
And tox.ini: the environments the README names."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import _parser
from conformance.server.process import ReferenceServer

from .conftest import KEY, OTHER_KEY

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
PINNED = ("DIFY_CONFORMANCE_REPO", "DIFY_CONFORMANCE_REF")  # the suite's repository and reviewed commit


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
    assert "secrets.DIFY_OTHER_API_KEY" in env["DIFY_OTHER_API_KEY"], env  # a second secret, for APP-01
    later = steps[steps.index(run_step) + 1:]
    (junit,) = [s for s in later if s.get("uses", "").startswith(("mikepenz/action-junit-report@",
                                                                  "dorny/test-reporter@"))]
    assert junit["with"].get("report_paths", junit["with"].get("path")) == f"{report_dir}/junit.xml"
    (upload,) = [s for s in later if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert f"{report_dir}/report.html" in upload["with"]["path"].split()
    for step in (junit, upload):
        assert step.get("if") in ("${{ !cancelled() }}", "${{ always() }}", "always()", "!cancelled()"), step
    assert "-n" not in _run_command(run_step["run"]) or _xdist_is_a_dependency()
    assert _load(GITHUB)["permissions"]["checks"] == "write", "the JUnit action publishes a check run"


def _xdist_is_a_dependency() -> bool:
    """`-- -n 2` needs pytest-xdist, which the suite itself depends on: the examples install nothing else."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return any(re.match(r"pytest-xdist\b", dependency) for dependency in project["dependencies"])


def _pip_install_targets(script: str) -> list[str]:
    targets = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True) if "pip install" in line else []
        if words:
            targets += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return targets


def _assert_placeholder(text: str, name: str) -> None:
    (line,) = [line for line in text.splitlines() if re.match(rf"\s*{name}:", line)]
    assert "# PLACEHOLDER" in line, f"{name} must be marked as a placeholder to replace: {line}"


def test_github_workflow_installs_the_suite_from_a_pinned_checkout_never_from_an_index():
    job, steps = _github_steps()
    assert re.fullmatch(r"[0-9a-f]{40}", job["env"]["DIFY_CONFORMANCE_REF"]), "a full commit sha"
    for name in PINNED:
        _assert_placeholder(GITHUB.read_text(encoding="utf-8"), name)
    (checkout,) = [s for s in steps
                   if s.get("uses", "").startswith("actions/checkout@") and "repository" in s.get("with", {})]
    assert checkout["with"]["repository"] == "${{ env.DIFY_CONFORMANCE_REPO }}"
    assert checkout["with"]["ref"] == "${{ env.DIFY_CONFORMANCE_REF }}"
    assert checkout["with"]["persist-credentials"] is False
    (install,) = [s for s in steps if "pip install" in s.get("run", "")]
    assert steps.index(checkout) < steps.index(install)
    assert _pip_install_targets(install["run"]) == [f"./{checkout['with']['path']}"], "only the checkout"
    assert '"$DIFY_CONFORMANCE_REF"' in install["run"] and "rev-parse HEAD" in install["run"], "only that commit"


def test_gitlab_job_gates_on_the_run_and_publishes_junit_and_html():
    config = _load(GITLAB)
    jobs = {name: job for name, job in config.items() if isinstance(job, dict) and "script" in job}
    ((name, job),) = jobs.items()
    script = "\n".join(job["script"])
    words = _run_command(script)
    report_dir = _report_dir(words)
    assert "|| true" not in script and job.get("allow_failure") in (None, False), "the exit status gates"
    for secret in ("DIFY_API_KEY", "DIFY_OTHER_API_KEY"):
        assert secret not in job.get("variables", {}), "the keys are masked CI/CD variables, not in the file"
        assert f"#   {secret}" in GITLAB.read_text(encoding="utf-8"), f"the header says to set {secret}"
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always", "reports are kept when the run fails too"
    assert artifacts["reports"]["junit"] == f"{report_dir}/junit.xml"
    assert f"{report_dir}/report.html" in artifacts["paths"]
    assert "-n" not in words or _xdist_is_a_dependency()
    assert job["stage"] in config.get("stages", ["test"])


def test_gitlab_job_installs_the_suite_from_a_pinned_clone_never_from_an_index():
    job = _gitlab_job()
    assert re.fullmatch(r"[0-9a-f]{40}", job["variables"]["DIFY_CONFORMANCE_REF"]), "a full commit sha"
    for name in PINNED:
        _assert_placeholder(GITLAB.read_text(encoding="utf-8"), name)
    script = "\n".join(job["script"])
    assert 'git clone --quiet "$DIFY_CONFORMANCE_REPO" dify-conformance' in script
    assert 'checkout --quiet --detach "$DIFY_CONFORMANCE_REF"' in script
    assert 'test "$(git -C dify-conformance rev-parse HEAD)" = "$DIFY_CONFORMANCE_REF"' in script, "only that commit"
    assert _pip_install_targets(script) == ["./dify-conformance"], "only the clone"
    assert "slim" not in job["image"], "the clone needs git, which the -slim images lack"


def _ci_shell(line: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    env.update(variables, PROFILE="quick", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run(["sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _gitlab_job() -> dict[str, Any]:
    return next(j for j in _load(GITLAB).values() if isinstance(j, dict) and "script" in j)


def _head_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"the CI examples install the suite from a git checkout; {ROOT} is none: {done.stderr}")
    return done.stdout.strip()


def _job_environment(venv: Path, variables: dict[str, str]) -> dict[str, str]:
    """A CI job's shell: this machine's environment less this process' virtual environment, Python and
    DIFY_/PYTEST_ variables, with the fresh venv first on PATH (as setup-python or the image's python)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_", "PYTHON", "VIRTUAL_ENV"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not (Path(p).parent / "pyvenv.cfg").is_file()]
    return {**env, "PATH": os.pathsep.join([str(venv / "bin"), *path]), **variables}


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # As the CI runners do: GitHub `bash -e`, GitLab bash with errexit and pipefail.
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _explain(what: str, done: subprocess.CompletedProcess[str]) -> str:
    return (f"{what}: exit {done.returncode}\n--- stdout (tail)\n{done.stdout[-3000:]}"
            f"\n--- stderr (tail)\n{done.stderr[-3000:]}")


def _assert_installed_in(venv: Path, workspace: Path, env: dict[str, str]) -> None:
    """The command the run step finds is the fresh venv's, importing the installed copy, not this checkout."""
    assert shutil.which("dify-conformance", path=env["PATH"]) == str(venv / "bin" / "dify-conformance")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import conformance; print(conformance.__file__)"],
                           cwd=workspace, env=env, capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr


def _run_github_workflow(venv: Path, workspace: Path, commit: str, secrets: dict[str, str]) -> list[str]:
    """Every step of the job in order: the pinned checkout as a local clone at `commit`, every `run` step
    through bash exactly as written; returns the paths the publishing steps name."""
    job, steps = _github_steps()
    values = {**secrets, "PROFILE": "quick", "DIFY_CONFORMANCE_REPO": str(ROOT), "DIFY_CONFORMANCE_REF": commit}
    assert set(job["env"]) <= set(values), f"a job variable this test does not set: {set(job['env']) - set(values)}"
    env = _job_environment(venv, {name: values[name] for name in job["env"]})
    env["GITHUB_STEP_SUMMARY"] = str(workspace.parent / "github-step-summary.md")
    published: list[str] = []
    for step in steps:
        uses, given = step.get("uses", ""), step.get("with", {})
        if uses.startswith("actions/checkout@") and "repository" in given:  # the suite's pinned checkout
            target = workspace / given["path"]
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=300)
            subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "--detach", commit], check=True,
                           timeout=60)
        elif "run" in step:
            assert "${{" not in step["run"], "a run step takes what it needs from the environment"
            done = _shell(step["run"], workspace, env)
            assert done.returncode == 0, _explain(step.get("name", step["run"]), done)
            assert secrets["DIFY_API_KEY"] not in done.stdout + done.stderr
            assert secrets["DIFY_OTHER_API_KEY"] not in done.stdout + done.stderr
            if "pip install" in step["run"]:
                _assert_installed_in(venv, workspace, env)
        elif uses.startswith("mikepenz/action-junit-report@"):
            published.append(given["report_paths"])
        elif uses.startswith("actions/upload-artifact@"):
            published += given["path"].split()
    assert "## dify-conformance: PASS" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    return published


def _run_gitlab_job(venv: Path, workspace: Path, commit: str, secrets: dict[str, str]) -> list[str]:
    """The job's script through bash as written, its variables set as GitLab sets them (the repository a
    local path, the ref `commit`); returns the paths the artifacts name."""
    job = _gitlab_job()
    values = {"DIFY_CONFORMANCE_REPO": str(ROOT), "DIFY_CONFORMANCE_REF": commit}
    variables = {name: values.get(name, str(value).replace("$CI_PROJECT_DIR", str(workspace)))
                 for name, value in job["variables"].items()}
    env = _job_environment(venv, {**variables, **secrets, "CI_PROJECT_DIR": str(workspace)})
    assert env["PROFILE"] == "quick"
    (run_line,) = [line for line in job["script"] if line.startswith("dify-conformance run")]
    install = job["script"][:job["script"].index(run_line)]
    done = _shell("\n".join(install), workspace, env)
    assert done.returncode == 0, _explain("the install lines", done)
    _assert_installed_in(venv, workspace, env)
    done = _shell("\n".join(job["script"][len(install):]), workspace, env)
    assert done.returncode == 0, _explain(run_line, done)
    assert secrets["DIFY_API_KEY"] not in done.stdout + done.stderr
    assert secrets["DIFY_OTHER_API_KEY"] not in done.stdout + done.stderr
    return [job["artifacts"]["reports"]["junit"], *job["artifacts"]["paths"]]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_both_examples_install_and_run_as_written_in_a_fresh_venv(tmp_path):
    """The install and run steps of both examples, in one fresh virtual environment (an install takes
    most of a minute): the suite comes from a clone of this checkout's HEAD standing in for the pinned
    commit, and the run, against a reference server, passes and leaves every file the job publishes
    (certification.zip only comes with the full profile)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    commit = _head_commit()
    with ReferenceServer(api_keys=[KEY, OTHER_KEY]) as server:  # two apps: APP-01 is judged, and passes
        secrets = {"DIFY_BASE_URL": server.base_url, "DIFY_API_KEY": KEY, "DIFY_OTHER_API_KEY": OTHER_KEY}
        for name, run_job in (("github", _run_github_workflow), ("gitlab", _run_gitlab_job)):
            workspace = tmp_path / name
            workspace.mkdir()
            published = run_job(venv, workspace, commit, secrets)
            present = {p for p in published if (workspace / p).is_file()}
            assert present == {p for p in published if not p.endswith("certification.zip")}, (name, present)


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
    passed_on = set(tox["testenv:conformance"]["passenv"].split())
    assert {"DIFY_BASE_URL", "DIFY_API_KEY", "DIFY_OTHER_API_KEY"} <= passed_on
    assert "extras" not in tox["testenv:conformance"], "the suite needs no extras (pytest-xdist is a dependency)"


def test_tox_lists_the_environments():
    listed = subprocess.run([sys.executable, "-m", "tox", "-l"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == {"tests", "lint", "conformance"}, "tox -l lists what the README names"
    every = subprocess.run([sys.executable, "-m", "tox", "list"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    names = {line.split("->")[0].strip() for line in every.stdout.splitlines() if "->" in line}
    assert every.returncode == 0 and names == {"tests", "lint", "conformance"}, every.stdout
