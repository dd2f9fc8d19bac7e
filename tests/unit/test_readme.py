"""The README is the user's first contact: its catalogue, commands and options must stay true."""

from __future__ import annotations

import re

from conformance.config.options import RUN_OPTIONS
from conformance.spec.catalogue import Req
from conftest import ROOT
from tests.agreement import readme_catalogue_differences

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_catalogue_table_is_the_catalogue():
    assert readme_catalogue_differences(README) == []


def test_the_table_check_sees_a_changed_title_and_a_changed_order():
    auth, user = (re.search(rf"^\| {i} \|.*\|\n", README, re.MULTILINE).group(0) for i in (Req.AUTH_01, Req.USER_01))
    retitled = README.replace(auth, auth.replace("answered 401", "answered 403"))
    assert readme_catalogue_differences(retitled) == ["README.md's title of AUTH-01 is not the catalogue's"]
    swapped = README.replace(auth + user, user + auth)
    assert readme_catalogue_differences(swapped) == ["README.md lists the requirements in another order than the "
                                                      "catalogue"]


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    test_command = blocks[1].strip().split("&& ", 1)[1]  # after the system package step
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
    assert blocks[0].strip() == "pip install . && dify-conformance run"


def test_every_option_is_documented():
    for option in RUN_OPTIONS:
        assert re.search(re.escape(option.flag) + r"\b", README), option.flag
