"""`evanchor compliance` and the flags on `evanchor submit`'s receipts, through CliRunner on
a log-only node folder in tmp_path."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.compliance.rules import default_rule_set, default_rule_set_text
from evanchor.anchor.log.store import LogStore
from evanchor.cli.main import cli

from compliance_helpers import NIGHT_CALL, without_evidence
from month_data import AGENCY, expected_flags, month_records


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def month() -> list[dict[str, Any]]:
    return month_records()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, month: list[dict[str, Any]]) -> Path:
    folder = tmp_path_factory.mktemp("node") / "node"
    assert run(folder, "init", "--log-only").exit_code == 0
    result = run(folder, "submit", str(jsonl(folder.parent / "month.jsonl", month)), "--json")
    assert result.exit_code == 0, result.output
    assert run(folder, "seal").exit_code == 0
    return folder


def test_json_report_from_the_log_and_from_case_bundles(
    home: Path, month: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = run(home, "compliance", "report", "--json")
    assert result.exit_code == 0, result.output
    from_log = json.loads(result.output)
    assert from_log["format"] == "evanchor/compliance-report"
    assert from_log["rule_set"]["digest"] == default_rule_set().digest
    found = {(f["rule_id"], f["record"]["record_id"]) for f in from_log["flags"]}
    assert found == expected_flags(month)
    with LogStore(home / "log") as store:
        cases = sorted(store.cases())
    for number, case in enumerate(cases):
        out = tmp_path / "bundles" / f"case-{number}.json"
        out.parent.mkdir(exist_ok=True)
        assert run(home, "case", "prove", case, "-o", str(out)).exit_code == 0
    result = run(home, "compliance", "report", "--json", "--bundles", str(tmp_path / "bundles"))
    assert result.exit_code == 0, result.output
    from_bundles = json.loads(result.output)
    assert from_bundles["source"]["kind"] == "bundles"
    assert from_bundles["source"]["files"] == len(cases)
    assert without_evidence(from_bundles) == without_evidence(from_log)


def test_csv_has_one_row_per_flag(home: Path, month: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    result = run(home, "compliance", "report", "--csv", "-o", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {(r["rule_id"], r["record_id"]) for r in rows} == expected_flags(month)
    assert {r["rule_set_digest"] for r in rows} == {default_rule_set().digest}
    night = next(r for r in rows if r["rule_id"] == "QH-1")
    assert "within the quiet hours 22:00-08:00" in night["reason"]


def test_html_report_links_each_flagged_record_to_its_bundle(
    home: Path, month: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run(home, "compliance", "report", "--html", "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "催收合规报告" in page
    # Flags per week, and the heat map of the agency that made contacts (the auction house
    # made none).
    assert page.count("<svg") == 2
    # Self-contained: no script, no fetch of anything outside the page and its folder.
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page
    assert re.findall(r"url\((.)", page) == ["#"] * page.count("url(")  # the SVGs' own clips
    links = re.findall(r'href="(report\.bundles/[0-9a-f]{64}\.json)"', page)
    assert {link.split("/")[1][:-5] for link in links} == {rid for _, rid in expected_flags(month)}
    for link in links:
        verified = run(home, "verify", str(tmp_path / link))
        assert verified.exit_code == 0, verified.output


def test_scope_options(home: Path) -> None:
    result = run(
        home, "compliance", "report", "--json", "--agency", AGENCY, "--from", "2026-11-12",
        "--to", "2026-11-12",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == {"from": "2026-11-12", "to": "2026-11-12"}
    assert [a["agency"] for a in report["agencies"]] == [AGENCY]
    assert {f["rule_id"] for f in report["flags"]} == {"CF-1", "QH-1"}
    assert run(home, "compliance", "report", "--agency", "91310115MA1K3TQ00X").exit_code == 2
    assert (
        run(home, "compliance", "report", "--from", "2026-11-13", "--to", "2026-11-12").exit_code
        == 2
    )
    assert run(home, "compliance", "report", "--html").exit_code == 2


def test_text_report_in_both_languages(home: Path) -> None:
    chinese = run(home, "compliance", "report")
    assert chinese.exit_code == 0
    assert "机构 91310115MA1K3TQ00E: 红 (red)" in chinese.output
    english = run(home, "compliance", "report", "--lang", "en")
    assert "Agency 91310115MA1K3TQ00E: red (red)" in english.output


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("max_contacts = 3\n", "max_contacts = 3\nmax_calls = 2\n", "rules[1].max_calls"),
        ("max_contacts = 3\n", 'max_contacts = "3"\n', "rules[1].max_contacts"),
    ],
)
def test_a_bad_rule_file_is_one_line_naming_the_key(
    home: Path, tmp_path: Path, old: str, new: str, key: str
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(default_rule_set_text().replace(old, new))
    out = tmp_path / "report.html"
    result = run(home, "compliance", "report", "--rules", str(rules), "--html", "-o", str(out))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert f"rules.toml: {key}: " in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not (tmp_path / "report.bundles").exists()


def test_rules_command(tmp_path: Path) -> None:
    shown = CliRunner().invoke(cli, ["compliance", "rules", "--json"])
    assert json.loads(shown.output)["digest"] == default_rule_set().digest
    copy = tmp_path / "copy.toml"
    copy.write_text(CliRunner().invoke(cli, ["compliance", "rules", "--default-toml"]).output)
    again = CliRunner().invoke(cli, ["compliance", "rules", "--rules", str(copy)])
    assert f"digest {default_rule_set().digest}" in again.output


def test_a_log_held_by_a_process_that_serves_no_api_is_one_line(home: Path) -> None:
    """Beside a running node the report asks its API (tests/cli/test_reads_beside_a_running_
    node.py); a log held by a process that serves none gives one line, nothing written."""
    with LogStore(home / "log"):
        result = run(home, "compliance", "report")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    assert "is open in another process, and no run file names a node" in result.output


def test_submit_lists_the_flags_on_the_receipts(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    assert run(folder, "init", "--log-only").exit_code == 0
    result = run(folder, "submit", str(jsonl(tmp_path / "night.jsonl", [NIGHT_CALL])))
    assert result.exit_code == 0, result.output
    assert "compliance: 1 flag(s) on 1 record(s)" in result.output
    assert "QH-1" in result.output
    assert "处于禁止时段 22:00-08:00" in result.output
    day = {**NIGHT_CALL, "occurred_at": "2026-11-21T10:00:00+08:00"}
    result = run(
        folder, "submit", str(jsonl(tmp_path / "day.jsonl", [day])), "--json", "--lang", "en"
    )
    answer = json.loads(result.output)
    assert answer["receipts"][0]["flags"] == []
    assert answer["compliance"]["rule_set"]["digest"] == default_rule_set().digest
    again = run(folder, "submit", str(tmp_path / "night.jsonl"), "--json", "--lang", "en")
    (receipt,) = json.loads(again.output)["receipts"]
    assert receipt["duplicate"] is True
    assert [f["rule_id"] for f in receipt["flags"]] == ["QH-1"]
    assert "call (call) at 22:47:00 local time" in receipt["flags"][0]["reason"]


def test_a_node_folder_rule_set_replaces_the_default(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    assert run(folder, "init", "--log-only").exit_code == 0
    text = default_rule_set_text().replace('start = "22:00"', 'start = "23:00"')
    (folder / "compliance-rules.toml").write_text(text)
    result = run(folder, "submit", str(jsonl(tmp_path / "night.jsonl", [NIGHT_CALL])), "--json")
    assert json.loads(result.output)["receipts"][0]["flags"] == []
    (folder / "compliance-rules.toml").write_text(
        text.replace("points = 1\nstart", 'points = "1"\nstart')
    )
    refused = run(
        folder,
        "submit",
        str(jsonl(tmp_path / "other.jsonl", [{**NIGHT_CALL, "operator_id": "op-9"}])),
    )
    assert refused.exit_code == 1
    assert "compliance-rules.toml: rules[0].points" in refused.output
    with LogStore(folder / "log") as store:
        assert store.size == 1  # nothing of the refused submission was written
