"""A compliance report as terminal text and as CSV (one row per flag).

The CSV has a fixed header (`CSV_COLUMNS`); person-facing cells (rule title, reason) are in
the report's language, everything else as in the JSON form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime

from evanchor.anchor.compliance.engine import Anchoring
from evanchor.anchor.compliance.report import ComplianceReport
from evanchor.anchor.compliance.rules import Lang
from evanchor.anchor.compliance.texts import flag_reason, label

CSV_COLUMNS = (
    "agency",
    "rating",
    "points",
    "rule_id",
    "rule_version",
    "rule_set_id",
    "rule_set_version",
    "rule_set_digest",
    "rule_title",
    "record_id",
    "leaf_index",
    "case",
    "occurred_at",
    "accepted_at",
    "reason",
    "related_record_ids",
    "anchored_block",
    "bundle",
)


def anchoring_text(anchoring: Anchoring | None, lang: Lang) -> str:
    """What proves the record's existence and time, in one phrase."""
    if anchoring is None:
        return label("not_sealed", lang)
    if anchoring.block_number is None or anchoring.block_timestamp is None:
        return label("sealed_only", lang, seq=anchoring.checkpoint_seq)
    when = datetime.fromtimestamp(anchoring.block_timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    how = label(f"anchored_{anchoring.proven_by}", lang)
    text = label(
        "anchored_at", lang, seq=anchoring.checkpoint_seq, block=anchoring.block_number, time=when
    )
    return f"{text}; {how}"


def render_csv(
    report: ComplianceReport, lang: Lang, bundle_links: Mapping[str, str] | None = None
) -> str:
    links = bundle_links or {}
    ratings = {summary.agency: summary for summary in report.agencies}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for flag in report.flags:
        summary = ratings[flag.agency]
        rule = report.rules.rule(flag.rule_id)
        logged = report.records[flag.record.leaf_index]
        anchoring = logged.anchoring
        writer.writerow(
            [
                flag.agency,
                str(summary.rating),
                summary.points,
                flag.rule_id,
                flag.rule_version,
                report.rules.id,
                report.rules.version,
                report.rules.digest,
                rule.title.text(lang),
                flag.record.record_id,
                flag.record.leaf_index,
                flag.case,
                logged.record.occurred_at,
                logged.accepted_at,
                flag_reason(flag, lang),
                " ".join(ref.record_id for ref in flag.related),
                ""
                if anchoring is None or anchoring.block_number is None
                else anchoring.block_number,
                links.get(flag.record.record_id, ""),
            ]
        )
    return buffer.getvalue()


def render_text(report: ComplianceReport, lang: Lang) -> str:
    """A summary for the terminal: the rule set, each agency's rating, each flag."""
    rules = report.rules
    lines = [
        f"{label('title', lang)} — {label('rule_set', lang)} {rules.id} {rules.version},"
        f" {label('digest', lang)} {rules.digest}",
        f"{label('source', lang)}: {report.source.where}",
    ]
    for summary in report.agencies:
        lines.append(
            f"{label('agency', lang)} {summary.agency}: {label(str(summary.rating), lang)}"
            f" ({summary.rating}), {label('points', lang)} {summary.points},"
            f" {label('records', lang)} {summary.records}, {label('flags', lang)}"
            f" {summary.flag_count}"
        )
        for flag in report.flags:
            if flag.agency != summary.agency:
                continue
            lines.append(
                f"  {flag.rule_id} {flag.record.record_id[:16]} #{flag.record.leaf_index}:"
                f" {flag_reason(flag, lang)}"
            )
    if report.undecided:
        lines.append(f"{label('undecided', lang)}: {len(report.undecided)}")
    if report.not_counted:
        lines.append(f"{label('not_counted', lang)}: {len(report.not_counted)}")
        lines += [f"  {item.what}: {item.reason}" for item in report.not_counted[:20]]
    return "\n".join(lines)
