"""A month of records with planted violations: the report finds each plant and nothing else,
from the log and from bundles alike; receipts show the flags a case's history can show."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address

from evanchor.anchor.compliance.bundles import read_bundles
from evanchor.anchor.compliance.errors import BundlesFromSeveralLogs
from evanchor.anchor.compliance.feedback import HISTORY_LIMIT
from evanchor.anchor.compliance.report import (
    Period,
    RatingColour,
    Source,
    SourceKind,
    build_report,
)
from evanchor.anchor.compliance.rules import default_rule_set, default_rule_set_text, parse_rule_set
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.records import occurred_at_datetime
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.protocol.signing import SigningDomain, sign_commitment
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.node.daemon.compliance_log import records_from_log, submission_flags

from compliance_helpers import (
    NIGHT_CALL,
    build_log,
    flag_keys,
    without_evidence,
    write_case_bundles,
)
from month_data import (
    AGENCY,
    AUCTION_HOUSE,
    cross_case_flag,
    expected_flags,
    month_records,
    record_id_hex,
)

RULES = default_rule_set()
LOG_SOURCE = Source(SourceKind.LOG, "test log")
BUNDLE_SOURCE = Source(SourceKind.BUNDLES, "test bundles")


@pytest.fixture(scope="module")
def month() -> list[dict[str, Any]]:
    return month_records()


@pytest.fixture(scope="module")
def month_log(tmp_path_factory: pytest.TempPathFactory, month: list[dict[str, Any]]) -> Path:
    path = tmp_path_factory.mktemp("month") / "log"
    build_log(path, month)
    return path


def report_from_log(log: Path, rules: Any = RULES, **scope: Any) -> Any:
    with LogStore(log) as store:
        records, not_counted = records_from_log(store)
    return build_report(records, rules, source=LOG_SOURCE, not_counted=not_counted, **scope)


def test_the_report_finds_each_plant_and_nothing_else(
    month_log: Path, month: list[dict[str, Any]]
) -> None:
    report = report_from_log(month_log)
    assert flag_keys(report.flags) == expected_flags(month)
    assert len(report.flags) == 20
    assert report.undecided == ()
    assert report.not_counted == ()
    # Every rule of the default set is planted at least once.
    assert {flag.rule_id for flag in report.flags} == {rule.id for rule in RULES.rules}


def test_each_flag_names_its_records_and_why(month_log: Path, month: list[dict[str, Any]]) -> None:
    report = report_from_log(month_log)
    document = report.as_json("en")
    by_key = {(f["rule_id"], f["record"]["record_id"]): f for f in document["flags"]}
    with LogStore(month_log) as store:
        for flag in document["flags"]:
            assert flag["rule_set_version"] == "2025.1"
            assert flag["rule_version"] == 1
            index = flag["record"]["leaf_index"]
            assert store.record(index).record_id.hex() == flag["record"]["record_id"]
    # The debtor's 4th call of 12 November names the three calls that filled the cap.
    (fourth,) = [r for r in month if r.get("notes") == "plant:CF-1"]
    flag = by_key[("CF-1", record_id_hex(fourth))]
    assert len(flag["related"]) == 3
    assert flag["facts"]["period"] == "2026-11-12"
    assert "4th call to debtor dbt:plant0002 in local day 2026-11-12; at most 3" in flag["reason"]
    # A call at 14:30Z to a debtor in Shanghai is at 22:30 there.
    (shanghai,) = [r for r in month if r["occurred_at"] == "2026-11-10T14:30:00Z"]
    facts = by_key[("QH-1", record_id_hex(shanghai))]["facts"]
    assert (facts["local_time"], facts["utc_offset"]) == ("22:30:00", "+08:00")
    assert facts["time_zone_source"] == "debtor_time_zone"
    (martian,) = [r for r in month if r.get("debtor_time_zone") == "Mars/Base"]
    facts = by_key[("QH-1", record_id_hex(martian))]["facts"]
    assert facts["unknown_debtor_time_zone"] == "Mars/Base"
    assert facts["time_zone_source"] == "rule_set"  # Beijing: the default undeclared zone


def test_case_bundles_give_the_same_report_as_the_log(month_log: Path, tmp_path: Path) -> None:
    files = write_case_bundles(month_log, tmp_path / "bundles")
    found = read_bundles([tmp_path / "bundles"])
    assert found.files == len(files)
    assert found.not_counted == ()
    from_bundles = build_report(found.records, RULES, source=BUNDLE_SOURCE)
    from_log = report_from_log(month_log)
    assert without_evidence(from_bundles.as_json("zh-CN")) == without_evidence(
        from_log.as_json("zh-CN")
    )
    assert from_bundles.flags == from_log.flags


def test_thresholds_change_the_rating(month_log: Path, month: list[dict[str, Any]]) -> None:
    points = {AGENCY: 0, AUCTION_HOUSE: 0}
    auction_ids = {record_id_hex(r) for r in month if r["kind"] == "auction_record"}
    for rule_id, record in expected_flags(month):
        points[AUCTION_HOUSE if record in auction_ids else AGENCY] += RULES.rule(rule_id).points

    def ratings(yellow: int, red: int) -> dict[str, tuple[int, RatingColour]]:
        text = default_rule_set_text().replace(
            "yellow_points = 1\nred_points = 10", f"yellow_points = {yellow}\nred_points = {red}"
        )
        report = report_from_log(month_log, parse_rule_set(text.encode(), source="t"))
        return {s.agency: (s.points, s.rating) for s in report.agencies}

    assert points == {AGENCY: 57, AUCTION_HOUSE: 5}
    assert ratings(1, 10) == {AGENCY: (57, "red"), AUCTION_HOUSE: (5, "yellow")}
    assert ratings(1, 58) == {AGENCY: (57, "yellow"), AUCTION_HOUSE: (5, "yellow")}
    assert ratings(1, 57) == {AGENCY: (57, "red"), AUCTION_HOUSE: (5, "yellow")}
    assert ratings(6, 100) == {AGENCY: (57, "yellow"), AUCTION_HOUSE: (5, "green")}
    assert ratings(58, 100) == {AGENCY: (57, "green"), AUCTION_HOUSE: (5, "green")}


def test_a_changed_parameter_changes_the_digest_and_the_flags(month_log: Path) -> None:
    text = default_rule_set_text().replace("max_contacts = 3\n", "max_contacts = 4\n")
    changed = parse_rule_set(text.encode(), source="changed")
    assert changed.digest != RULES.digest
    report = report_from_log(month_log, changed)
    assert [f.rule_id for f in report.flags].count("CF-1") == 0
    assert report.as_json("en")["rule_set"]["digest"] == changed.digest


def _local_date(record: dict[str, Any]) -> date:
    """A plain reference: the debtor's zone if it is a real one, else Beijing's (the default
    rule set's undeclared zone)."""
    instant = occurred_at_datetime(record["occurred_at"])
    zone = record.get("debtor_time_zone")
    if zone not in ("Asia/Shanghai", "America/New_York"):
        zone = "Asia/Shanghai"
    return instant.astimezone(ZoneInfo(zone)).date()


def test_period_and_agency_scope(month_log: Path, month: list[dict[str, Any]]) -> None:
    start, end = date(2026, 11, 10), date(2026, 11, 13)
    by_id = {record_id_hex(r): r for r in month}
    scoped = report_from_log(month_log, period=Period(start, end), agency=AGENCY)
    want = {
        (rule, rid)
        for rule, rid in expected_flags(month)
        if by_id[rid].get("agency") == AGENCY and start <= _local_date(by_id[rid]) <= end
    }
    assert want  # the window holds plants of several rules
    assert flag_keys(scoped.flags) == want
    assert [s.agency for s in scoped.agencies] == [AGENCY]
    in_window = [r for r in month if r.get("agency") == AGENCY and start <= _local_date(r) <= end]
    assert scoped.agencies[0].records == len(in_window)
    # The frequency cap of the 12th still counts the calls before it in its window.
    assert ("CF-1", record_id_hex(next(r for r in month if r.get("notes") == "plant:CF-1"))) in want


def test_receipts_list_the_flags_their_case_history_shows(
    tmp_path: Path, month: list[dict[str, Any]]
) -> None:
    """Submitted one record at a time, each receipt's flags come from its case's records
    so far: together they are the report's flags except the cap reached across two of a
    debtor's cases, which only the whole log shows."""
    seen: set[tuple[str, str]] = set()
    with LogStore(tmp_path / "log", create=True) as store:
        for record in month:
            receipts = store.append([prepare_record(record)])
            for flags in submission_flags(store, receipts, RULES).values():
                assert all(flag.record.leaf_index == receipts[0].index for flag in flags)
                seen |= flag_keys(flags)
    assert seen == expected_flags(month) - {cross_case_flag(month)}


def test_a_batch_is_its_own_history(tmp_path: Path, month: list[dict[str, Any]]) -> None:
    """One batch of the whole month: every case's history is in the log by then, so the
    receipts show every flag, the cross-case one included."""
    with LogStore(tmp_path / "log", create=True) as store:
        receipts = store.append([prepare_record(record) for record in month])
        found = submission_flags(store, receipts, RULES)
    assert set().union(*(flag_keys(f) for f in found.values())) == expected_flags(month)
    assert set(found) == {receipt.index for receipt in receipts}


def test_bundles_of_some_cases_give_those_cases_flags(
    month_log: Path, tmp_path: Path, month: list[dict[str, Any]]
) -> None:
    skip = frozenset({"collection/C-2026-P09", "auction/LOT-2026-0043"})
    write_case_bundles(month_log, tmp_path / "some", skip=skip)
    found = read_bundles([tmp_path / "some"])
    report = build_report(found.records, RULES, source=BUNDLE_SOURCE)
    skipped_ids = {record_id_hex(r) for r in month if r.get("case_id") == "C-2026-P09"} | {
        record_id_hex(r) for r in month if r.get("lot_id") == "LOT-2026-0043"
    }
    assert flag_keys(report.flags) == {
        key for key in expected_flags(month) if key[1] not in skipped_ids
    }


def test_a_lone_bundle_cannot_show_a_missing_agreement(
    month_log: Path, tmp_path: Path, month: list[dict[str, Any]]
) -> None:
    """The settlement's own bundle proves the record, not the case before it: the
    completeness rule is undecided, naming the leaf it would need."""
    write_case_bundles(month_log, tmp_path / "all")
    (case_file,) = (tmp_path / "all").glob("collection_C-2026-P09.json")
    case = json.loads(case_file.read_text())
    (planted,) = [r for r in month if r.get("notes") == "plant:CP-1"]
    (entry,) = [e for e in case["records"] if e["record"] == planted]
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "settlement.json").write_text(json.dumps(entry))
    report = build_report(read_bundles([tmp_path / "one"]).records, RULES, source=BUNDLE_SOURCE)
    assert report.flags == ()
    (undecided,) = report.undecided
    assert undecided.rule_id == "CP-1"
    assert undecided.missing == entry["leaf"]["prev"]


def test_a_bundle_that_does_not_verify_is_not_counted(
    month_log: Path, tmp_path: Path, month: list[dict[str, Any]]
) -> None:
    """An agency that rewrites its 23:15 call to 21:15 breaks the commitment: the bundle is
    not counted, and says where it failed."""
    write_case_bundles(month_log, tmp_path / "all")
    case_file = tmp_path / "all" / "collection_C-2026-P01.json"
    case = json.loads(case_file.read_text())
    target = next(
        e for e in case["records"] if e["record"]["occurred_at"].endswith("23:15:00+08:00")
    )
    target["record"]["occurred_at"] = target["record"]["occurred_at"].replace("23:15", "21:15")
    case_file.write_text(json.dumps(case))
    found = read_bundles([tmp_path / "all"])
    reasons = [item.reason for item in found.not_counted]
    assert any("NOT VERIFIED at commitment" in reason for reason in reasons)
    assert any(item.what == "collection_C-2026-P01.json" for item in found.not_counted)
    report = build_report(found.records, RULES, source=BUNDLE_SOURCE)
    original = next(r for r in month if r["occurred_at"].endswith("-03T23:15:00+08:00"))
    assert ("QH-1", record_id_hex(original)) not in flag_keys(report.flags)
    assert len(report.flags) == len(expected_flags(month)) - 1


def test_bundles_of_two_logs_are_refused(month_log: Path, tmp_path: Path) -> None:
    """A bundle of another log (bound to chain 1, its record signed there) beside the month
    log's (a log-only node's): each verifies, together they are refused."""
    write_case_bundles(month_log, tmp_path / "all")
    key = Account.from_key(b"\x61" * 32)
    target = AnchorTarget(
        1, to_checksum_address("0x" + "11" * 20), to_checksum_address("0x" + "22" * 20), bytes(32)
    )
    separator = SigningDomain(target.chain_id, target.contract).separator
    record = prepare_record(NIGHT_CALL)
    signature = sign_commitment(bytes(key.key), separator, record.commitment)
    with LogStore(tmp_path / "other-log", create=True) as store:
        store.bind_anchor_target(target)
        store.append([replace(record, signature=signature)])
        store.seal()
        other = build_bundle(store, 0).as_json()
    assert verify_bundle(other).ok
    (tmp_path / "all" / "zz-other-log.json").write_text(json.dumps(other))
    with pytest.raises(BundlesFromSeveralLogs) as raised:
        read_bundles([tmp_path / "all"])
    assert raised.value.expected is not None


def test_receipts_read_a_bounded_history(tmp_path: Path) -> None:
    """A settlement after more than HISTORY_LIMIT letters with no agreement: the report,
    over the whole case, flags it; its receipt, from the last HISTORY_LIMIT records only,
    cannot decide and lists nothing."""
    letters = [
        {
            "kind": "collection_checkpoint",
            "case_id": "C-LONG",
            "agency": AGENCY,
            "debtor_ref": "dbt:longcase",
            "event": "letter" if n else "case_opened",
            "occurred_at": f"2026-11-01T10:{n // 60:02d}:{n % 60:02d}+08:00",
            "channel": "letter",
            "operator_id": f"op-{n}",
        }
        for n in range(HISTORY_LIMIT + 5)
    ]
    settlement = {
        **letters[1],
        "event": "settlement",
        "channel": "in_person",
        "occurred_at": "2026-11-20T10:00:00+08:00",
        "amount": {"minor_units": 1, "currency": "CNY"},
    }
    with LogStore(tmp_path / "log", create=True) as store:
        store.append([prepare_record(record) for record in letters])
        receipts = store.append([prepare_record(settlement)])
        assert submission_flags(store, receipts, RULES) == {receipts[0].index: []}
        records, _ = records_from_log(store)
    report = build_report(records, RULES, source=LOG_SOURCE)
    assert [(f.rule_id, f.record.leaf_index) for f in report.flags] == [("CP-1", receipts[0].index)]
