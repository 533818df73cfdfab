"""A compliance report as one self-contained HTML page: no script, no external fetch.

Styles are inline, charts are inline SVG (`charts.py`), and each flagged record links to its
proof bundle by a relative path (a file the caller writes beside the page), so the page and
its bundle folder can be handed over together and opened offline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape

from evanchor.anchor.compliance.charts import flags_per_week_svg, heat_map_svg
from evanchor.anchor.compliance.localtime import TZ_DATABASE
from evanchor.anchor.compliance.render import anchoring_text
from evanchor.anchor.compliance.report import AgencySummary, ComplianceReport, SourceKind
from evanchor.anchor.compliance.rules import Lang
from evanchor.anchor.compliance.texts import flag_reason, label

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 72em; color: #222;
  padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: 0.9em; }
.badge { display: inline-block; padding: 0.1em 0.7em; border-radius: 1em; color: #fff;
  font-weight: bold; }
.green { background: #2e7d32; } .yellow { background: #f9a825; color: #222; }
.red { background: #c62828; }
.claims { background: #f7f7f7; border-left: 4px solid #999; padding: 0.5em 1em; }
.muted { color: #666; font-size: 0.9em; }
figure { margin: 0.5em 0; } figcaption { color: #555; font-size: 0.9em; }
svg { max-width: 100%; height: auto; }
table.flags { width: 100%; table-layout: fixed; }
table.flags col.rule { width: 6%; } table.flags col.record { width: 24%; }
table.flags col.time { width: 15%; } table.flags col.reason { width: 27%; }
table.flags col.anchored { width: 16%; } table.flags col.bundle { width: 12%; }
.id { word-break: break-all; }
"""


def _badge(summary: AgencySummary, lang: Lang) -> str:
    colour = str(summary.rating)
    return f'<span class="badge {colour}">{escape(label(colour, lang))} ({colour})</span>'


def render_html(
    report: ComplianceReport,
    lang: Lang,
    *,
    generated_at: str,
    bundle_links: Mapping[str, str] | None = None,
) -> str:
    """The page. `bundle_links` maps record ids (hex) to relative paths of their bundles."""
    links = bundle_links or {}
    rules = report.rules
    source = label("source_log" if report.source.kind is SourceKind.LOG else "source_bundles", lang)
    period = report.period.as_json()
    period_text = (
        label("all_time", lang)
        if period["from"] is None and period["to"] is None
        else f"{period['from'] or '…'} .. {period['to'] or '…'}"
    )
    thresholds = label(
        "thresholds", lang, yellow=rules.rating.yellow_points, red=rules.rating.red_points
    )
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{escape(label('title', lang))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(label('title', lang))}</h1>",
        f'<p class="claims">{escape(label("claims", lang))}</p>',
        "<table>",
        _row(label("rule_set", lang), f"{rules.title.text(lang)} — {rules.id} {rules.version}"),
        _row(label("digest", lang), f"<code>{rules.digest}</code>", raw=True),
        _row(label("period", lang), period_text),
        _row(label("source", lang), f"{source}: {report.source.where}"),
        _row(label("tz_database", lang), TZ_DATABASE),
        _row(label("generated_at", lang), generated_at),
        "</table>",
        f'<p class="muted">{escape(thresholds)}</p>',
        _agency_table(report, lang),
    ]
    if any(report.weekly_flags.values()):
        out += [
            f"<h2>{escape(label('chart_weeks', lang))}</h2>",
            f"<figure>{flags_per_week_svg(report.weekly_flags)}</figure>",
        ]
    for summary in report.agencies:
        out += _agency_section(report, summary, lang, links)
    if report.not_counted:
        out.append(f"<h2>{escape(label('not_counted', lang))}</h2><ul>")
        out += [
            f"<li><code>{escape(item.what)}</code>: {escape(item.reason)}</li>"
            for item in report.not_counted
        ]
        out.append("</ul>")
    normalised = json.dumps(rules.normalised(), ensure_ascii=False, indent=2, sort_keys=True)
    out += [
        f"<h2>{escape(label('rule_set', lang))}</h2>",
        f"<details><summary><code>{rules.digest}</code></summary>",
        f"<pre>{escape(normalised)}</pre></details>",
        "</body></html>",
    ]
    return "\n".join(out) + "\n"


def _row(name: str, value: str, *, raw: bool = False) -> str:
    return f"<tr><th>{escape(name)}</th><td>{value if raw else escape(value)}</td></tr>"


def _agency_table(report: ComplianceReport, lang: Lang) -> str:
    head = ("agency", "rating", "points", "records", "flags")
    rows = ["<table><tr>" + "".join(f"<th>{escape(label(h, lang))}</th>" for h in head) + "</tr>"]
    for summary in report.agencies:
        rows.append(
            f'<tr><td><a href="#agency-{escape(summary.agency)}"><code>'
            f"{escape(summary.agency)}</code></a></td><td>{_badge(summary, lang)}</td>"
            f"<td>{summary.points}</td><td>{summary.records}</td>"
            f"<td>{summary.flag_count}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _agency_section(
    report: ComplianceReport, summary: AgencySummary, lang: Lang, links: Mapping[str, str]
) -> list[str]:
    rules = report.rules
    out = [
        f'<section id="agency-{escape(summary.agency)}">',
        f"<h2>{escape(label('agency', lang))} <code>{escape(summary.agency)}</code>"
        f" {_badge(summary, lang)}</h2>",
        "<table><tr>"
        + "".join(
            f"<th>{escape(label(h, lang))}</th>" for h in ("rule", "rule_title", "points", "count")
        )
        + "</tr>",
    ]
    for rule in rules.rules:
        count = summary.flags_per_rule.get(rule.id, 0)
        out.append(
            f"<tr><td><code>{escape(rule.id)}</code> v{rule.version}</td>"
            f"<td>{escape(rule.title.text(lang))}</td><td>{rule.points}</td>"
            f"<td>{count}</td></tr>"
        )
    out.append("</table>")
    grid = report.heat.get(summary.agency)
    quiet = report.quiet_hours()
    if grid is not None and any(any(row) for row in grid):
        out.append(
            f"<figure>{heat_map_svg(grid, None if quiet is None else quiet.minutes())}"
            f"<figcaption>{escape(label('chart_heat', lang))}</figcaption></figure>"
        )
    flags = [flag for flag in report.flags if flag.agency == summary.agency]
    if not flags:
        out += [f"<p>{escape(label('no_flags', lang))}</p>", "</section>"]
        return out
    head = ("rule", "record", "occurred_at", "reason", "anchored", "bundle")
    widths = ("rule", "record", "time", "reason", "anchored", "bundle")
    out.append(
        '<table class="flags">'
        + "".join(f'<col class="{w}">' for w in widths)
        + "<tr>"
        + "".join(f"<th>{escape(label(h, lang))}</th>" for h in head)
        + "</tr>"
    )
    for flag in flags:
        logged = report.records[flag.record.leaf_index]
        link = links.get(flag.record.record_id)
        bundle = (
            f'<a href="{escape(link)}">{escape(label("bundle", lang))}'
            f" {flag.record.record_id[:8]}…</a>"
            if link is not None
            else escape(label("no_bundle", lang))
        )
        related = ""
        if flag.related:
            refs = ", ".join(f"#{ref.leaf_index}" for ref in flag.related)
            related = f'<br><span class="muted">{escape(label("related", lang))}: {refs}</span>'
        out.append(
            f'<tr id="flag-{escape(flag.rule_id)}-{flag.record.leaf_index}">'
            f"<td><code>{escape(flag.rule_id)}</code> v{flag.rule_version}</td>"
            f'<td><code class="id">{flag.record.record_id}</code><br>'
            f"{escape(label('leaf_index', lang))}"
            f" {flag.record.leaf_index}, <code>{escape(flag.case)}</code>{related}</td>"
            f"<td><code>{escape(logged.record.occurred_at)}</code><br>"
            f'<span class="muted">{escape(label("accepted_at", lang))}:'
            f" {escape(logged.accepted_at)}</span></td>"
            f"<td>{escape(flag_reason(flag, lang))}</td>"
            f"<td>{escape(anchoring_text(logged.anchoring, lang))}</td>"
            f"<td>{bundle}</td></tr>"
        )
    out.append("</table>")
    undecided = [u for u in report.undecided if u.agency == summary.agency]
    if undecided:
        out.append(f"<h3>{escape(label('undecided', lang))}</h3><ul>")
        out += [
            f"<li><code>{escape(u.rule_id)}</code> <code>{u.record.record_id}</code> "
            f"({escape(label('missing_leaf', lang, leaf=u.missing))})</li>"
            for u in undecided
        ]
        out.append("</ul>")
    out.append("</section>")
    return out
