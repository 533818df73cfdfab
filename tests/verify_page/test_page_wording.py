"""The page says what the certificate says: its record view renders every record exactly as
anchor/report's (labels, coded values, amounts in yuan, Beijing time beside UTC), its step
names and explanations are the certificate's, and its wording follows the verifier's report
alone: the outcome's words, what is proven, and what is not.

The page's modules (anchor/verify/js/page) run here in Node.js; tests/verify_page's browser
tests run the same code, bundled, in Chromium.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.report import integrity, record_view, summary
from evanchor.anchor.report.language import Lang
from evanchor.anchor.report.statements import BASIS_TAGS

from page_helpers import run_module
from record_strategies import auction_records, collection_records
from samples import sample_objects

RECORD_ROWS = (
    "const { recordRows, recordTitle } = await import('./page/record_view.mjs');"
    "const out = input.records.map((r) => ({ title: recordTitle(r, input.lang),"
    " rows: recordRows(r, input.lang) }));"
    "console.log(JSON.stringify(out));"
)


def python_rows(record: dict[str, Any], lang: Lang) -> dict[str, Any]:
    rows = [
        {"name": r.name, "label": r.label, "value": r.value}
        for r in record_view.record_rows(record, lang)
    ]
    return {"title": record_view.record_title(record, lang), "rows": rows}


def assert_same_rows(records: list[dict[str, Any]]) -> None:
    for lang in Lang:
        js = run_module(RECORD_ROWS, {"records": records, "lang": lang.value})
        assert js == [python_rows(r, lang) for r in records], lang


def test_the_sample_records_read_as_on_the_certificate() -> None:
    assert_same_rows(sample_objects())


# Python's datetime cannot show a time within a day of its range's ends in another zone.
in_range = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(collection_records() | auction_records(), min_size=25, max_size=25), st.data())
def test_any_record_reads_as_on_the_certificate(
    records: list[dict[str, Any]], data: st.DataObject
) -> None:
    for record in records:  # a time anywhere in the range, in every offset the strategy has
        moment = data.draw(in_range).isoformat(timespec="seconds")
        record["occurred_at"] = moment + record["occurred_at"][19:]
    assert_same_rows(records)


def test_times_amounts_and_sizes_known_answers() -> None:
    script = (
        "const l = await import('./page/language.mjs');"
        "console.log(JSON.stringify(["
        " l.dualTimestamp('2026-11-05T16:02:30.250+08:00', 'zh-CN'),"
        " l.dualTimestamp('2026-11-19T08:31:07Z', 'en'),"
        " l.dualTimestamp('2026-12-31T23:30:00-05:30', 'zh-CN'),"
        " l.dualTimestamp('0005-01-01T00:00:00Z', 'zh-CN'),"
        " l.dualEpoch(1764900000, 'zh-CN'),"
        " l.money(500000, 'CNY', 'zh-CN'), l.money(9007199254740991, 'CNY', 'en'),"
        " l.money(1250, 'USD', 'zh-CN'), l.money(1250, 'JPY', 'zh-CN'),"
        " l.byteSize(1843221, 'zh-CN')]));"
    )
    assert run_module(script, None) == [
        "2026-11-05 16:02:30.250 北京时间（UTC 2026-11-05 08:02:30.250）",
        "2026-11-19 16:31:07 Beijing time (UTC 2026-11-19 08:31:07)",
        "2027-01-01 13:00:00 北京时间（UTC 2027-01-01 05:00:00）；原文 2026-12-31T23:30:00-05:30",
        "0005-01-01 08:00:00 北京时间（UTC 0005-01-01 00:00:00）",
        "2025-12-05 10:00:00 北京时间（UTC 2025-12-05 02:00:00）",
        "人民币 5,000.00 元",
        "CNY 90,071,992,547,409.91",
        "美元 12.50（USD）",
        "1,250 个最小货币单位（JPY）",
        "1,843,221 字节",
    ]


def test_the_step_wording_is_the_certificates() -> None:
    """Every step name, explanation and skip reason the certificate has, the page has, in the
    same words; the page may know more steps (a newer protocol's), never other words."""
    script = (
        "const w = await import('./page/wording.mjs');"
        "console.log(JSON.stringify({names: w.STEP_NAMES, checks: w.STEP_CHECKS,"
        " skipped: w.SKIPPED, levels: w.LEVELS, tags: w.BASIS_TAGS}));"
    )
    js = run_module(script, None)
    tables = (
        ("names", integrity.STEP_NAMES),
        ("checks", integrity.STEP_CHECKS),
        ("skipped", integrity.SKIPPED),
        ("levels", getattr(summary, "_LEVELS", {})),  # where the summary has assurance levels
    )
    for key, table in tables:
        for name, words in table.items():
            assert js[key].get(name) == list(words), (key, name)
    assert js["tags"] == {basis.value: list(words) for basis, words in BASIS_TAGS.items()}


def test_record_tables_are_the_certificates() -> None:
    script = (
        "const v = await import('./page/record_view.mjs');"
        "console.log(JSON.stringify({labels: v.LABELS, kinds: v.KINDS,"
        " collection: v.COLLECTION_EVENTS, auction: v.AUCTION_EVENTS, channels: v.CHANNELS,"
        " targets: v.CONTACT_TARGETS, data: v.DATA_CATEGORIES, findings: v.FINDINGS,"
        " items: v.ITEM_CATEGORIES}));"
    )
    js = run_module(script, None)
    python = {
        "labels": record_view._LABELS,
        "kinds": record_view.KINDS,
        "collection": record_view.COLLECTION_EVENTS,
        "auction": record_view.AUCTION_EVENTS,
        "channels": record_view.CHANNELS,
        "targets": record_view.CONTACT_TARGETS,
        "data": record_view.DATA_CATEGORIES,
        "findings": record_view.FINDINGS,
        "items": record_view.ITEM_CATEGORIES,
    }
    for key, table in python.items():
        assert js[key] == {k: list(v) for k, v in table.items()}, key
    assert list(js["labels"]) == list(record_view._LABELS)  # the same reading order


# -- the wording follows the report ----------------------------------------------------------

DESCRIBE = (
    "const { describe } = await import('./page/wording.mjs');"
    "const view = describe({ ...input, lang: input.lang });"
    "console.log(JSON.stringify(view));"
)
FILE = {"name": "bundle.json", "sha256": "1aca2a8e699ff32ee53d8cd6fec755c102b0c53696e03a582f5"}


def statements(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [st for s in view["sections"] for st in s.get("statements", [])]


def report_of(outcome: str, steps: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "valid": outcome == "VERIFIED",
        "steps": [{"step": n, "status": s, "detail": f"{n} detail"} for n, s in steps],
        "summary": "technical",
        "proven": None,
    }


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_three_outcomes_never_share_words(lang: str) -> None:
    """CANNOT VERIFY is no verdict on the evidence: its words are never NOT VERIFIED's, and
    neither shows any content of the bundle."""
    offline = [("format", "ok"), ("record", "ok"), ("commitment", "ok")]
    cannot = report_of("CANNOT VERIFY", [*offline, ("anchor", "cannot")])
    failed = report_of(
        "NOT VERIFIED", [("format", "ok"), ("record", "ok"), ("commitment", "failed")]
    )
    bundle = {"format": "evanchor/proof-bundle", "record": {"notes": "SECRET-CONTENT"}}
    views = {
        name: run_module(
            DESCRIBE, {"report": r, "bundle": bundle, "records": [], "file": FILE, "lang": lang}
        )
        for name, r in (("cannot", cannot), ("failed", failed))
    }
    assert views["cannot"]["outcome"] == "CANNOT VERIFY"
    assert views["failed"]["outcome"] == "NOT VERIFIED"
    cannot_text = str(views["cannot"])
    failed_text = str(views["failed"])
    assert "NOT VERIFIED" not in cannot_text
    assert "未通过" not in cannot_text
    assert "CANNOT VERIFY" not in failed_text
    assert "无法核验" not in failed_text
    assert views["cannot"]["tone"] != views["failed"]["tone"]
    for text in (cannot_text, failed_text):
        assert "SECRET-CONTENT" not in text
    failed_steps = next(s for s in views["failed"]["sections"] if s["key"] == "checks")["steps"]
    assert [(s["name"], s["status"]) for s in failed_steps][-1] == ("commitment", "failed")
    assert ("第 3 步" if lang == "zh-CN" else "step 3") in failed_text
