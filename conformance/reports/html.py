"""report.html: one self-contained page for people, readable offline.

No script, no external resource: inline CSS and SVG, ``<details>`` to open evidence on demand.
Everything that came from the target or the run is escaped; nothing becomes markup.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..model.results import CheckResult, RequirementStatus, RunResult, Violation
from .files import write_atomically
from .view import (
    STATUSES,
    TimingStats,
    requirements_in_order,
    stale_waiver_entries,
    status_counts,
    timing_stats,
)

__all__ = ["write_html", "render_html", "identity"]

_OUTCOME_ORDER = {"error": 0, "failed": 1, "skipped": 2, "passed": 3}  # what needs attention first
_MONO_FACTS = ("Spec sha256", "Target")
_VERDICT_WORD = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}

_CSS = """
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --page: #f6f8fa; --card: #ffffff;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --waived: #8250df; --waived-bg: #fbefff; --skipped: #59636e; --skipped-bg: #eaeef2;
  --error: #bc4c00; --error-bg: #fff1e5; --p50: #0969da; --p95: #9ecbff;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); line-height: 1.5;
  font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
h2 { font-size: 20px; margin: 36px 0 12px; }
h2 small { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 8px; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
  margin: 4px 0 8px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 320px; overflow: auto; }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.verdict { border-radius: 12px; padding: 24px 28px; color: #fff; }
.verdict-pass { background: var(--pass); } .verdict-fail { background: var(--fail); }
.verdict-error { background: var(--error); }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .9; }
.verdict-word { font-size: 64px; font-weight: 800; letter-spacing: .02em; line-height: 1.05;
  margin: 4px 0 6px; }
.verdict p { margin: 6px 0 0; font-size: 16px; }
.verdict .reason { background: rgba(0,0,0,.18); border-radius: 8px; padding: 10px 14px; margin-top: 12px; }
.verdict ul { margin: 8px 0 0; padding-left: 20px; }
.tally { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 14px; }
.tally span { background: rgba(255,255,255,.18); border-radius: 999px; padding: 3px 12px; font-size: 14px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); margin-top: 18px; }
.facts div { padding: 12px 18px; border-bottom: 1px solid var(--line); }
.facts dt { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.facts dd { margin: 2px 0 0; word-break: break-all; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line);
  border-radius: 10px; overflow: hidden; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  background: #f6f8fa; padding: 8px 12px; border-bottom: 1px solid var(--line); }
td { padding: 10px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: 0; }
tr.failed td:first-child { box-shadow: inset 4px 0 0 var(--fail); }
tr.waived td:first-child { box-shadow: inset 4px 0 0 var(--waived); }
tr.skipped td:first-child { box-shadow: inset 4px 0 0 var(--skipped); }
tr.passed td:first-child { box-shadow: inset 4px 0 0 var(--pass); }
td.id { white-space: nowrap; font-weight: 600; font-family: var(--mono); font-size: 13px; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.title { width: 100%; }
td.title code { background: #eff2f5; border-radius: 4px; padding: 0 4px; font-size: 12.5px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12.5px; font-weight: 600;
  white-space: nowrap; }
.badge.passed { color: var(--pass); background: var(--pass-bg); }
.badge.failed { color: var(--fail); background: var(--fail-bg); }
.badge.waived { color: var(--waived); background: var(--waived-bg); }
.badge.skipped { color: var(--skipped); background: var(--skipped-bg); }
.level { font-size: 11px; font-weight: 700; letter-spacing: .05em; color: var(--muted); }
.level.MUST { color: var(--ink); }
details { margin-top: 6px; }\ndetails summary { cursor: pointer; color: #0969da; font-size: 14px; }
details[open] summary { margin-bottom: 6px; }
.evidence { border-left: 3px solid var(--line); padding: 2px 0 2px 12px; margin: 8px 0 12px; }
.evidence .message { font-weight: 600; }
.evidence .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.note { font-size: 14px; margin-top: 6px; }
.note.waived { color: var(--waived); } .note.skipped { color: var(--muted); }
.chart { padding: 16px 18px; }
.chart svg { display: block; width: 100%; height: auto; max-width: 900px; }
.legend { display: flex; gap: 18px; font-size: 13px; color: var(--muted); margin-bottom: 8px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px;
  margin-right: 6px; }
footer { margin-top: 36px; color: var(--muted); font-size: 13px; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status)}">{_e(status)}</span>'


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _seconds(value: float) -> str:
    millis = value * 1000
    return f"{millis:.1f} ms" if millis < 10 else f"{millis:,.0f} ms"


# -- verdict -------------------------------------------------------------------------------------


def _verdict_sentence(run: RunResult, statuses: list[RequirementStatus], stale: int) -> str:
    if run.verdict == "error":
        return "The run could not judge the target; the statuses below are incomplete."
    failed_must = [s.id for s in statuses if s.status == "failed" and s.level == "MUST"]
    parts = []
    if failed_must:
        parts.append(f"{len(failed_must)} MUST requirement(s) failed: {', '.join(failed_must)}.")
    if stale:
        parts.append(f"{stale} waiver(s) are stale.")
    return " ".join(parts) or "Every MUST requirement passed."


def _verdict(run: RunResult, statuses: list[RequirementStatus]) -> str:
    stale = stale_waiver_entries(run)
    counts = status_counts(statuses)
    out = [
        f'<header class="verdict verdict-{_e(run.verdict)}">',
        '<div class="eyebrow">Dify GET /conversations conformance</div>',
        f'<div class="verdict-word">{_e(_VERDICT_WORD.get(run.verdict, run.verdict.upper()))}</div>',
        f"<p>{_e(_verdict_sentence(run, statuses, len(stale)))}</p>",
    ]
    if run.verdict == "error" and run.reason:
        out.append(f'<p class="reason"><strong>Reason:</strong> {_e(run.reason)}</p>')
    if stale:
        items = "".join(
            f"<li><strong>{_e(w['id'])}</strong>: {_e(w['message'])} (waiver reason: {_e(w['reason'])})</li>"
            for w in stale
        )
        out.append(f'<div class="reason"><strong>Stale waivers</strong><ul>{items}</ul></div>')
    out.append('<div class="tally">' + "".join(f"<span>{counts[s]} {s}</span>" for s in STATUSES) + "</div>")
    out.append("</header>")
    return "\n".join(out)


def _facts(run: RunResult) -> str:
    facts = [
        ("Spec", f"{run.spec.title} {run.spec.version}"),
        ("Spec file", run.spec.path),
        ("Spec sha256", run.spec.sha256),
        ("Target", run.base_url),
        ("Profile", run.profile),
        ("Seed", run.seed),
        ("Mode", "read-only (GET /conversations only)" if run.read_only else "write (own test data)"),
        ("Started", run.started_at),
        ("Finished", run.finished_at),
        ("Duration", f"{run.duration_s:g} s"),
        ("Requests", f"{run.requests:,}"),
        ("Suite version", run.suite_version),
    ]
    cells = "".join(
        f"<div><dt>{_e(k)}</dt><dd{' class=mono' if k in _MONO_FACTS else ''}>{_e(v)}</dd></div>"
        for k, v in facts
    )
    return f'<dl class="card facts">{cells}</dl>'


# -- requirements --------------------------------------------------------------------------------


def _evidence_block(
    message: str,
    request: str | None,
    status_code: int | None,
    body: str | None,
    requirement: str | None = None,
) -> str:
    label = f"[{_e(requirement)}] " if requirement else ""
    out = [f'<div class="evidence"><div class="message">{label}{_e(message)}</div>']
    if request:
        out.append(f'<div class="label">request</div><pre>{_e(request)}</pre>')
    out.append(
        f'<div><span class="label">status</span> <span class="mono">'
        f"{_e(status_code) if status_code is not None else 'no response'}</span></div>"
    )
    if body:
        out.append(f'<div class="label">body excerpt</div><pre>{_e(body)}</pre>')
    out.append("</div>")
    return "".join(out)


def _requirement_details(status: RequirementStatus) -> str:
    out = []
    if status.status == "waived":
        out.append(f'<div class="note waived"><strong>Waived:</strong> {_e(status.waiver or "")}</div>')
    if status.status == "skipped":
        out.append(f'<div class="note skipped">{_e(status.reason or "no check ran")}</div>')
    if status.evidence:
        blocks = "".join(
            _evidence_block(
                i.get("message") or "", i.get("request"), i.get("status_code"), i.get("body_excerpt")
            )
            for i in status.evidence
        )
        extra = f'<div class="note skipped">{_e(status.reason)}</div>' if status.reason else ""
        n = len(status.evidence)
        out.append(
            f"<details><summary>{n} violation{'s' if n != 1 else ''}</summary>{extra}{blocks}</details>"
        )
    return "".join(out)


def _prose(text: str) -> str:
    """Escaped text with the catalogue's `code` spans shown as code."""
    pieces = _e(text).split("`")
    return (
        "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
        if len(pieces) % 2
        else _e(text)
    )


def _requirements_table(statuses: list[RequirementStatus]) -> str:
    rows = []
    for s in statuses:
        details = _requirement_details(s) if s.status != "passed" else ""
        rows.append(
            f'<tr class="{_e(s.status)}" id="req-{_e(s.id)}"><td class="id">{_e(s.id)}</td>'
            f'<td><span class="level {_e(s.level)}">{_e(s.level)}</span></td>'
            f'<td class="title">{_prose(s.title)}{details}</td><td>{_badge(s.status)}</td>'
            f'<td class="num">{_e(s.checks)}</td></tr>'
        )
    head = "<tr><th>Id</th><th>Level</th><th>Requirement and evidence</th><th>Status</th><th>Checks</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


# -- response times ------------------------------------------------------------------------------


def _timing_chart(stats: dict[str, TimingStats]) -> str:
    if not stats:
        return '<div class="card chart"><p class="muted">No response was timed in this run.</p></div>'
    label_w, bar_w, value_w, row_h, bar_h = 150, 560, 150, 44, 14
    width, height = label_w + bar_w + value_w, row_h * len(stats) + 8
    scale = max(s.p95_s for s in stats.values()) or 1.0
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="p50 and p95 response time per kind of request">'
    ]
    for i, (kind, s) in enumerate(stats.items()):
        y = i * row_h + 6
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="14" fill="#1f2328">{_e(kind)}</text>'
            f'<text x="0" y="{y + 31}" font-size="12" fill="#59636e">{_count(s.count, "request")}</text>'
        )
        for j, (name, value, color) in enumerate((("p50", s.p50_s, "#0969da"), ("p95", s.p95_s, "#9ecbff"))):
            top = y + j * (bar_h + 3)
            length = max(1.0, bar_w * value / scale)
            parts.append(
                f'<rect x="{label_w}" y="{top}" width="{length:.1f}" height="{bar_h}" rx="3" fill="{color}">'
                f"<title>{_e(kind)} {name} {_e(_seconds(value))}</title></rect>"
                f'<text x="{label_w + length + 6:.1f}" y="{top + bar_h - 2}" font-size="12" '
                f'fill="#59636e">{name} {_e(_seconds(value))}</text>'
            )
    parts.append("</svg>")
    legend = (
        '<div class="legend"><span><span class="swatch" style="background:var(--p50)"></span>p50 (median)'
        '</span><span><span class="swatch" style="background:var(--p95)"></span>p95</span>'
        f"<span>slowest: {_e(_seconds(max(s.max_s for s in stats.values())))}</span></div>"
    )
    return f'<div class="card chart">{legend}{"".join(parts)}</div>'


# -- checks --------------------------------------------------------------------------------------


def _violations(violations: Iterable[Violation]) -> str:
    return "".join(
        _evidence_block(v.message, v.request, v.status_code, v.body_excerpt, v.requirement)
        for v in violations
    )


def _check_details(check: CheckResult) -> str:
    if check.outcome in ("skipped", "error"):
        note = f'<div class="note {_e(check.outcome)}">{_e(check.reason or check.outcome)}</div>'
        if check.traceback:  # the suite broke: where, for whoever fixes it (never the target's failure)
            note += f"<details><summary>traceback</summary><pre>{_e(check.traceback)}</pre></details>"
        return note
    if check.outcome != "failed":
        return ""
    out = []
    if check.reason:
        out.append(f'<div class="note">{_e(check.reason)}</div>')
    n = len(check.violations)
    if n:
        out.append(
            f"<details><summary>{n} violation{'s' if n != 1 else ''}</summary>"
            f"{_violations(check.violations)}</details>"
        )
    if check.replay:
        out.append(f"<details><summary>replay</summary><pre>{_e(check.replay)}</pre></details>")
    return "".join(out)


def _checks_table(checks: list[CheckResult]) -> str:
    if not checks:
        return '<p class="muted">No check ran.</p>'
    rows = []
    for c in sorted(checks, key=lambda c: _OUTCOME_ORDER.get(c.outcome, 3)):
        rows.append(
            f'<tr class="{_e(c.outcome)}"><td>{_badge(c.outcome)}</td><td>{_e(c.name)}'
            f'<div class="muted mono">{_e(c.check_id)}</div>{_check_details(c)}</td>'
            f'<td class="num">{c.duration_s:.2f} s</td></tr>'
        )
    return f"<table><tr><th>Outcome</th><th>Check</th><th>Duration</th></tr>{''.join(rows)}</table>"


def _replay_section(run: RunResult) -> str:
    """A replay (dify-conformance replay): each requirement that failed in the replayed run, and each new one."""
    replay = run.replay
    if replay is None:
        return ""
    badge = {"FIXED": "passed", "STILL FAILING": "failed", "NEW": "failed", "NOT JUDGED": "skipped"}
    rows = [f'<tr class="{badge[o["outcome"]]}"><td class="id"><a href="#req-{_e(o["id"])}">{_e(o["id"])}</a></td>'
            f'<td><span class="level {_e(o["level"])}">{_e(o["level"])}</span></td>'
            f'<td><span class="badge {badge[o["outcome"]]}">{_e(o["outcome"])}</span></td>'
            f'<td>{_e(o["before"])} → {_e(o["now"])}</td><td class="title">{_prose(o["detail"])}</td></tr>'
            for o in replay["outcomes"]]
    head = "<tr><th>Id</th><th>Level</th><th>Replay</th><th>Then → now</th><th>Evidence now</th></tr>"
    table = f"<table>{head}{''.join(rows)}</table>" if rows else "<p>Nothing failed there and nothing fails now.</p>"
    return (f"<h2>Replay<small>of run {_e(replay['of_run'])} ({_e(replay['of_report_dir'])}): "
            f"{_e(replay['checks'])} check(s) re-run, {replay['requests']:,} requests (that run: "
            f"{replay['requests_before']:,}), exit status {_e(replay['exit_status'])}</small></h2>{table}")


def identity(run: RunResult) -> list[tuple[str, object]]:
    """What ties the page to its run, as meta tags: ``verify`` checks them against the other files."""
    return [("run-id", run.run_id), ("seed", run.seed), ("verdict", run.verdict)]


def render_html(run: RunResult) -> str:
    statuses = requirements_in_order(run)
    stats = timing_stats(run.response_times)
    outcomes = {o: sum(1 for c in run.checks if c.outcome == o) for o in ("passed", "failed", "skipped")}
    title = (
        f"dify-conformance {_VERDICT_WORD.get(run.verdict, run.verdict)}: {run.spec.title} at {run.base_url}"
    )
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            *[f'<meta name="dify-conformance-{name}" content="{_e(value)}">' for name, value in identity(run)],
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
            _verdict(run, statuses),
            _facts(run),
            _replay_section(run),
            f"<h2>Requirements<small>{len(statuses)} in the catalogue</small></h2>",
            _requirements_table(statuses),
            f"<h2>Response times<small>{run.requests:,} requests to the target</small></h2>",
            _timing_chart(stats),
            f"<h2>Checks<small>{outcomes['passed']} passed, {outcomes['failed']} failed, "
            f"{outcomes['skipped']} skipped</small></h2>",
            _checks_table(run.checks),
            f"<footer>dify-conformance {_e(run.suite_version)} · run {_e(run.run_id)} {_e(run.started_at)} "
            f"– {_e(run.finished_at)}"
            f" · seed {_e(run.seed)} · profile {_e(run.profile)}</footer>",
            "</main></body></html>",
            "",
        ]
    )


def write_html(run: RunResult, path: str | os.PathLike[str]) -> Path:
    return write_atomically(path, render_html(run))
