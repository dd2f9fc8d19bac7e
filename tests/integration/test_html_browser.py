"""report.html of real runs, rendered by headless Chromium: no script or console error, nothing loaded
but the file itself (readable offline), the verdict shown first and styled, evidence opening on demand.

Chromium missing is a failure (fixture ``chromium``), never a skip.
"""

from __future__ import annotations

import struct

import pytest

from conformance.spec.catalogue import REQUIREMENTS, Req

from .browser import open_browser

pytestmark = pytest.mark.slow

_FACTS = """(() => {
  const header = document.querySelector('header.verdict');
  const box = header.getBoundingClientRect();
  return {
    title: document.title,
    verdict: document.querySelector('.verdict-word').innerText.trim(),
    background: getComputedStyle(header).backgroundColor,
    top: box.top, height: box.height, width: box.width,
    rows: document.querySelectorAll('tr[id^="req-"]').length,
    bars: document.querySelectorAll('.chart svg rect').length,
    text: document.body.innerText,
  };
})()"""
_PASS_GREEN, _FAIL_RED = "rgb(26, 127, 55)", "rgb(207, 34, 46)"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def _shows_cleanly(load) -> None:
    assert not load.problems, f"{load.url}: {load.problems}"
    assert load.requests == [load.url], f"the report loaded more than itself: {load.requests}"


def test_passing_report_renders_with_its_verdict_first(reference_runs, chromium, tmp_path):
    run = reference_runs.serial
    assert run.exit_code == 0, run.explain()
    with open_browser(chromium) as browser:
        load = browser.load(run.report_dir / "report.html")
        facts = browser.evaluate(_FACTS)
        shot = browser.screenshot(tmp_path / "report.png")
    _shows_cleanly(load)
    assert facts["verdict"] == "PASS" and "PASS" in facts["title"]
    assert facts["background"] == _PASS_GREEN, "the stylesheet applies"
    assert facts["top"] < 100 and facts["height"] > 80 and facts["width"] > 600, "the verdict is seen first"
    assert facts["rows"] == len(run.summary["requirements"]) == len(REQUIREMENTS)
    assert facts["bars"] > 0, "the response-time chart is drawn"
    assert "Every MUST requirement passed." in facts["text"]
    assert f"{run.summary['requests']:,}" in facts["text"]
    width, height = _png_size(shot.read_bytes())
    assert width == 1280 and height > 900, (width, height)


def test_failing_report_shows_fail_and_opens_the_evidence_of_the_failed_requirement(fault_runs, chromium):
    run = fault_runs.serial
    assert run.exit_code == 1, run.explain()
    with open_browser(chromium) as browser:
        load = browser.load(run.report_dir / "report.html")
        facts = browser.evaluate(_FACTS)
        row = "document.querySelector('#req-PAGE-01')"
        before = browser.evaluate(f"{row}.className + ' ' + {row}.querySelector('details').open")
        evidence = browser.evaluate(f"""(() => {{
            const details = {row}.querySelector('details');
            details.querySelector('summary').click();
            const block = details.querySelector('.evidence');
            return {{open: details.open, height: block.getBoundingClientRect().height, text: block.innerText}};
        }})()""")
    _shows_cleanly(load)
    assert facts["verdict"] == "FAIL" and facts["background"] == _FAIL_RED
    assert Req.PAGE_01 in facts["text"].split("Requirements")[0], "the failed MUST requirement is named up top"
    assert before == "failed false", "evidence is closed until asked for"
    assert evidence["open"] and evidence["height"] > 20, evidence
    assert "curl" in evidence["text"] and "never visited" in evidence["text"], evidence["text"][:500]
    assert "Bearer ${DIFY_API_KEY}" in evidence["text"], "the key is redacted in what people see"


def test_the_browser_check_sees_script_errors_and_outside_requests(chromium, tmp_path):
    """The harness is not blind: a page with the faults the report must not have is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><title>x</title><script>console.error('bad'); null.f()</script>"
                    "<img src='http://127.0.0.1:9/x.png'>", encoding="utf-8")
    with open_browser(chromium) as browser:
        load = browser.load(page)
    assert any("TypeError" in e for e in load.exceptions), load
    assert "bad" in load.console_errors, load
    assert "http://127.0.0.1:9/x.png" in load.requests and load.failed_loads, load
