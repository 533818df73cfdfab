"""A node's cache of recently read records gives each submission the flags a fresh read
gives, through evictions and a shredding."""

from __future__ import annotations

from pathlib import Path

from evanchor.anchor.compliance.rules import default_rule_set
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, Receipt
from evanchor.node.daemon.compliance_log import RecentRecords, submission_flags

from month_data import month_records

BATCH = 7


def _flag_view(flags: dict[int, list[object]]) -> dict[int, list[str]]:
    return {index: sorted(repr(flag) for flag in found) for index, found in flags.items()}


def test_cached_flags_equal_fresh_flags_batch_by_batch(tmp_path: Path) -> None:
    rules = default_rule_set()
    records = month_records()
    roomy, tight = RecentRecords(), RecentRecords(capacity=5)  # tight evicts all the time
    raised = 0
    with LogStore(tmp_path / "log", create=True) as store:
        for start in range(0, len(records), BATCH):
            receipts = store.append(
                [prepare_record(record) for record in records[start : start + BATCH]]
            )
            fresh = _flag_view(submission_flags(store, receipts, rules))
            assert _flag_view(submission_flags(store, receipts, rules, roomy)) == fresh
            assert _flag_view(submission_flags(store, receipts, rules, tight)) == fresh
            raised += sum(len(found) for found in fresh.values())
        assert len(tight) <= 5
    assert raised > 0  # the month's planted records do raise flags


def test_a_shredded_record_is_forgotten(tmp_path: Path) -> None:
    rules = default_rule_set()
    records = month_records()
    recent = RecentRecords()
    with LogStore(tmp_path / "log", create=True) as store:
        receipts: list[Receipt] = store.append([prepare_record(r) for r in records])
        submission_flags(store, receipts, rules, recent)  # every record read and kept
        flagged = [r for r, f in submission_flags(store, receipts, rules).items() if f]
        shredded = flagged[0]
        store.shred(shredded, reason="a deletion request")
        recent.forget(shredded)
        fresh = _flag_view(submission_flags(store, receipts, rules))
        assert fresh.get(shredded, []) == []  # a shredded record is not counted: no flag
        assert _flag_view(submission_flags(store, receipts, rules, recent)) == fresh
