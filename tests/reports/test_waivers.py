"""The waivers file: valid files load; every mistake is a one-line UsageError naming file and problem."""

from __future__ import annotations

import pytest

from conformance.config.waivers import load_waivers
from conformance.errors import UsageError
from conformance.model.results import Waiver
from conformance.spec.catalogue import Req


def write(tmp_path, text):
    path = tmp_path / "waivers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_waivers_in_order(tmp_path):
    path = write(
        tmp_path,
        '[[waiver]]\nid = "USER-01"\nreason = "default user"\n\n'
        '[[waiver]]\nid = "LIMIT-02"\nreason = "clamps"\n',
    )
    assert load_waivers(path) == [Waiver(Req.USER_01, "default user"), Waiver(Req.LIMIT_02, "clamps")]
    assert load_waivers(write(tmp_path, "# nothing waived\n")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[waiver]]\nid = "USER-01"\nreason = "x\n', "not valid TOML: "),
        ('[[waiver]]\nreason = "x"\n', "line 1: missing `id`"),
        ('[[waiver]]\nid = "USER-01"\n', "line 1: missing `reason`"),
        ('[[waiver]]\nid = "USER-01"\nreason = "  "\n', "`reason` must be a non-empty string"),
        (
            '[[waiver]]\nid = "USER-1"\nreason = "x"\n',
            "unknown requirement id 'USER-1'; did you mean USER-01?",
        ),
        ('[[waiver]]\nid = "NOPE-99"\nreason = "x"\n', "known: AUTH-01, USER-01"),
        (
            '[[waiver]]\nid = "USER-01"\nreason = "a"\n[[waiver]]\nid = "USER-01"\nreason = "b"\n',
            "line 4: USER-01 is already waived at line 1",
        ),
        ('[[waiver]]\nid = "USER-01"\nreason = "x"\nexpires = "2026"\n', "unexpected key(s) 'expires'"),
        ('id = "USER-01"\n', "unexpected top-level key(s) 'id'"),
        ('waiver = "USER-01"\n', "must be an array of tables"),
    ],
)
def test_each_mistake_is_a_usage_error(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as error:
        load_waivers(path)
    message = str(error.value)
    assert expected in message and str(path) in message and "\n" not in message
    assert error.value.exit_status == 2


def test_bad_toml_names_the_line(tmp_path):
    with pytest.raises(UsageError, match="line 3"):
        load_waivers(write(tmp_path, '[[waiver]]\nid = "USER-01"\nreason = \n'))


def test_unreadable_file(tmp_path):
    with pytest.raises(UsageError, match="missing.toml: cannot be read"):
        load_waivers(tmp_path / "missing.toml")
