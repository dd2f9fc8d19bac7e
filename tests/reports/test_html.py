"""report.html: one self-contained file, verdict first, everything escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from conformance.reports.html import write_html
from conformance.spec.catalogue import Req

from .conftest import HOSTILE


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attribute_values: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attribute_values += [value or "" for _, value in attrs]


def render(run, tmp_path) -> str:
    write_html(run, tmp_path / "report.html")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # one file, nothing beside it
    return (tmp_path / "report.html").read_text(encoding="utf-8")


def test_self_contained_no_external_references(failing_run, tmp_path):
    markup = _Markup()
    markup.feed(render(failing_run, tmp_path))
    assert not {"script", "link", "img", "iframe", "object"} & set(markup.tags)
    assert not [v for v in markup.attribute_values if "http://" in v or "https://" in v or "url(" in v]
    assert "svg" in markup.tags and "details" in markup.tags


def test_verdict_first_and_hostile_text_escaped(failing_run, tmp_path):
    text = render(failing_run, tmp_path)
    assert text.index("FAIL") < text.index("Requirements")
    assert "verdict-fail" in text and Req.LIMIT_02 in text
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Stale waivers" not in text and "Waived:" in text


def test_error_reason_stale_waivers_and_no_timings(make_run, tmp_path):
    from conformance.model.results import Waiver

    run = make_run(
        [], [Waiver(Req.SORT_01, "old <b>bug</b>")], reason="connection refused <boom>", response_times={}
    )
    text = render(run, tmp_path)
    assert "ERROR" in text and "connection refused &lt;boom&gt;" in text
    assert "Stale waivers" in text and "old &lt;b&gt;bug&lt;/b&gt;" in text
    assert "No response was timed" in text


def test_a_replay_shows_each_requirement_that_failed_there(make_run, tmp_path):
    outcomes = [{"id": Req.PAGE_01, "level": "MUST", "before": "failed", "now": "passed", "outcome": "FIXED",
                 "detail": "passes now"},
                {"id": Req.SORT_01, "level": "MUST", "before": "passed", "now": "failed", "outcome": "NEW",
                 "detail": "order <broken>"}]
    run = make_run(replay={"of_run": "r0", "of_report_dir": "reports", "checks": 3, "requests": 120,
                           "requests_before": 1000, "exit_status": 1, "outcomes": outcomes})
    text = render(run, tmp_path)
    assert "<h2>Replay" in text and "of run r0" in text and "exit status 1" in text
    assert "FIXED" in text and "NEW" in text and 'href="#req-PAGE-01"' in text
    assert "order &lt;broken&gt;" in text
    assert "<h2>Replay" not in render(make_run(), tmp_path)
