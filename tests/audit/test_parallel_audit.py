"""The log audit on every core gives the one-process audit's report, exactly.

`audit_log` is the plain reference: one leaf after another in one process. The parallel
audit (`audit_log_parallel`) is held to it on untouched logs, on every named tampering below
(the kinds tests/anchor/test_audit_log.py and tests/audit/ name), on random tamperings
(hypothesis), and with an agency-signature check whose signers are recovered in the
workers. Chunks as small as one leaf put chunk boundaries everywhere: at seal leaves, inside
cases, at a tampered leaf.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from hashlib import sha256
from pathlib import Path
from typing import Any

import plyvel
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.audit import (
    AuditReport,
    Recovered,
    RecoveringSignatureCheck,
    SignatureProblem,
    audit_log,
    recover,
)
from evanchor.anchor.log.parallel_audit import audit_log_parallel
from evanchor.anchor.log.parallel_ingest import start_pool
from evanchor.anchor.log.store import LogStore, Receipt
from evanchor.anchor.protocol.signing import SigningDomain, sign_commitment

from samples import prepared

AGENCY_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
OTHER_KEY = bytes.fromhex("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f")
DOMAIN = SigningDomain(1337, "0x" + "11" * 20).separator


def _u64(value: int) -> bytes:
    return struct.pack(">Q", value)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    executor = start_pool(2)
    yield executor
    executor.shutdown()


def _build(folder: Path, *, signed: bool = False) -> list[Receipt]:
    """Three checkpoints of 12, 8 and 5 records over three interleaved cases."""
    receipts: list[Receipt] = []
    with LogStore(folder, create=True) as store:
        for low, high in ((0, 12), (12, 20), (20, 25)):
            records = [prepared(i, case=f"K{i % 3}") for i in range(low, high)]
            if signed:
                key = lambda i: OTHER_KEY if i == 14 else AGENCY_KEY  # noqa: E731
                records = [
                    replace(r, signature=sign_commitment(key(low + n), DOMAIN, r.commitment))
                    for n, r in enumerate(records)
                ]
            receipts += store.append(records)
            store.seal()
    return receipts


def _everything(report: AuditReport) -> dict[str, Any]:
    return {
        **report.as_json(),
        "discrepancy order": [str(d) for d in report.discrepancies],
        "roots": report.roots,
        "leaf hashes": report.leaf_hashes,
    }


def _assert_same(
    folder: Path,
    pool: ProcessPoolExecutor,
    *,
    signature_check: Any = None,
    receipts: list[Receipt] | None = None,
) -> AuditReport:
    with LogStore(folder, check=False) as store:
        reference = audit_log(store, signature_check=signature_check, receipts=receipts or [])
        expected = _everything(reference)
        for workers, chunk in ((1, 4096), (1, 1), (2, 1), (2, 3), (2, 7), (2, 4096)):
            report = audit_log_parallel(
                store,
                workers=workers,
                signature_check=signature_check,
                receipts=receipts or [],
                chunk_leaves=chunk,
                pool=pool if workers > 1 else None,
            )
            assert _everything(report) == expected, (workers, chunk)
    return reference


# -- named tamperings --------------------------------------------------------------------


def _alter_record(db: plyvel.DB) -> None:
    record = json.loads(db.get(b"r:" + _u64(5)))
    record["operator_id"] = "op-forged"
    db.put(b"r:" + _u64(5), json.dumps(record, separators=(",", ":"), sort_keys=True).encode())


def _delete_record(db: plyvel.DB) -> None:
    db.delete(b"r:" + _u64(3))
    db.delete(b"l:" + _u64(3))


def _reorder(db: plyvel.DB) -> None:
    for prefix in (b"l:", b"r:", b"s:", b"n:\x00"):
        first, second = db.get(prefix + _u64(4)), db.get(prefix + _u64(8))
        db.put(prefix + _u64(4), second)
        db.put(prefix + _u64(8), first)


def _forge_checkpoint(db: plyvel.DB) -> None:
    checkpoint = json.loads(db.get(b"k:" + _u64(1)))
    checkpoint["root"] = "ab" * 32
    db.put(b"k:" + _u64(1), json.dumps(checkpoint).encode())


def _forge_seal_leaf(db: plyvel.DB) -> None:
    leaf = json.loads(db.get(b"l:" + _u64(12)))
    leaf["sealed_at"] = "2020-01-01T00:00:00.000Z"
    db.put(b"l:" + _u64(12), rfc8785.dumps(leaf))


def _move_checkpoint(db: plyvel.DB) -> None:
    checkpoint = json.loads(db.get(b"k:" + _u64(0)))
    checkpoint["size"] -= 1
    db.put(b"k:" + _u64(0), json.dumps(checkpoint).encode())


def _incomplete_shredding(db: plyvel.DB) -> None:
    db.put(b"t:" + _u64(6), b'{"reason": "DR-1", "shredded_at": "2026-01-01T00:00:00.000Z"}')


def _complete_shredding(db: plyvel.DB) -> None:
    canonical = db.get(b"r:" + _u64(9))
    db.delete(b"r:" + _u64(9))
    db.delete(b"s:" + _u64(9))
    db.delete(b"i:" + sha256(b"evanchor/v1/record-id\x00" + canonical).digest())
    db.put(b"t:" + _u64(9), b'{"reason": "DR-2", "shredded_at": "2026-01-01T00:00:00.000Z"}')


def _salt_gone(db: plyvel.DB) -> None:
    db.delete(b"s:" + _u64(10))


def _stale_record_id(db: plyvel.DB) -> None:
    db.put(b"i:" + b"\x07" * 32, _u64(2))


def _id_points_elsewhere(db: plyvel.DB) -> None:
    canonical = db.get(b"r:" + _u64(15))
    db.put(b"i:" + sha256(b"evanchor/v1/record-id\x00" + canonical).digest(), _u64(16))


def _leaf_not_canonical(db: plyvel.DB) -> None:
    db.put(b"l:" + _u64(7), json.dumps(json.loads(db.get(b"l:" + _u64(7))), indent=1).encode())


def _stray_seal_leaf(db: plyvel.DB) -> None:
    db.put(b"l:" + _u64(2), db.get(b"l:" + _u64(12)))


def _leaf_gone(db: plyvel.DB) -> None:
    db.delete(b"l:" + _u64(21))


def _tree_node(db: plyvel.DB) -> None:
    db.put(b"n:\x02" + _u64(1), b"\x01" * 32)


def _tree_node_gone(db: plyvel.DB) -> None:
    db.delete(b"n:\x01" + _u64(3))


def _accepted_earlier(db: plyvel.DB) -> None:
    leaf = json.loads(db.get(b"l:" + _u64(23)))
    leaf["accepted_at"] = "2020-01-01T00:00:00.000Z"
    db.put(b"l:" + _u64(23), rfc8785.dumps(leaf))


def _signature_flipped(db: plyvel.DB) -> None:
    signature = bytearray(db.get(b"g:" + _u64(4)))
    signature[64] = 29
    db.put(b"g:" + _u64(4), bytes(signature))


def _signature_gone(db: plyvel.DB) -> None:
    db.delete(b"g:" + _u64(18))


TAMPERINGS: dict[str, Callable[[plyvel.DB], None]] = {
    "altered record": _alter_record,
    "deleted record": _delete_record,
    "two reordered records": _reorder,
    "forged checkpoint root": _forge_checkpoint,
    "forged seal leaf": _forge_seal_leaf,
    "checkpoint that ends on a record": _move_checkpoint,
    "shredding incomplete": _incomplete_shredding,
    "complete shredding": _complete_shredding,
    "salt gone": _salt_gone,
    "stale record id entry": _stale_record_id,
    "record id pointing at another leaf": _id_points_elsewhere,
    "leaf not canonical": _leaf_not_canonical,
    "seal leaf where no checkpoint ends": _stray_seal_leaf,
    "leaf gone": _leaf_gone,
    "altered tree node": _tree_node,
    "tree node gone": _tree_node_gone,
    "acceptance order broken": _accepted_earlier,
}


def _tamper(folder: Path, *changes: Callable[[plyvel.DB], None]) -> None:
    db = plyvel.DB(str(folder))
    try:
        for change in changes:
            change(db)
    finally:
        db.close()


def test_an_untouched_log_gives_the_same_report(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    receipts = _build(tmp_path / "log")
    report = _assert_same(tmp_path / "log", pool, receipts=receipts)
    assert report.ok
    assert report.counts["receipts checked"] == 25


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_named_tampering_gives_the_same_report(
    tmp_path: Path, pool: ProcessPoolExecutor, name: str
) -> None:
    receipts = _build(tmp_path / "log")
    _tamper(tmp_path / "log", TAMPERINGS[name])
    report = _assert_same(tmp_path / "log", pool, receipts=receipts)
    if name == "complete shredding":
        assert report.ok
        assert report.counts["records shredded"] == 1
    else:
        assert not report.ok


def test_every_tampering_at_once_gives_the_same_report(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    receipts = _build(tmp_path / "log")
    _tamper(tmp_path / "log", *TAMPERINGS.values())
    report = _assert_same(tmp_path / "log", pool, receipts=receipts)
    assert len({d.kind for d in report.discrepancies}) >= 10


# -- signatures: recovered in the workers, judged here ------------------------------------


class _OneSigner:
    """A `RecoveringSignatureCheck` that accepts the agency key's address alone."""

    def __init__(self, signer: str) -> None:
        self.signer = signer
        self.judged: list[int] = []

    @property
    def domain_separator(self) -> bytes:
        return DOMAIN

    def judge(self, index: int, recovered: Recovered) -> SignatureProblem | None:
        self.judged.append(index)
        if not isinstance(recovered, str):
            return recovered
        if recovered != self.signer:
            return ("agency mismatch", f"signed by {recovered}")
        return None

    def __call__(
        self, index: int, commitment: bytes, signature: bytes | None
    ) -> SignatureProblem | None:
        return self.judge(index, recover(DOMAIN, commitment, signature))


@pytest.mark.parametrize(
    "changes", [(), (_signature_flipped,), (_signature_gone, _alter_record, _reorder)]
)
def test_signatures_recovered_in_workers_give_the_same_report(
    tmp_path: Path, pool: ProcessPoolExecutor, changes: tuple[Callable[[plyvel.DB], None], ...]
) -> None:
    _build(tmp_path / "log", signed=True)
    _tamper(tmp_path / "log", *changes)
    with LogStore(tmp_path / "log", check=False) as store:
        probe = store.raw_entry(0)
    assert probe[3] is not None
    signer = recover(DOMAIN, bytes.fromhex(json.loads(probe[0] or b"")["commitment"]), probe[3])
    assert isinstance(signer, str)
    check = _OneSigner(signer)
    assert isinstance(check, RecoveringSignatureCheck)
    report = _assert_same(tmp_path / "log", pool, signature_check=check)
    kinds = {(d.kind, d.where) for d in report.discrepancies}
    assert ("agency mismatch", "leaf 15") in kinds  # record 14 (after a seal leaf): other key
    if _signature_flipped in changes:
        assert ("signature invalid", "leaf 4") in kinds
    if _signature_gone in changes:
        assert ("signature missing", "leaf 18") in kinds


def test_a_plain_signature_check_is_called_in_the_auditing_process(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    _build(tmp_path / "log")
    calls: list[int] = []

    def check(index: int, commitment: bytes, signature: bytes | None) -> str | None:
        calls.append(index)  # a closure: it could not be pickled to a worker
        return "no signature" if index == 7 else None

    report = _assert_same(tmp_path / "log", pool, signature_check=check)
    assert [str(d) for d in report.discrepancies] == ["leaf 7: signature invalid: no signature"]
    assert len(calls) == 7 * 25  # the reference, then six parallel runs


# -- random tamperings -------------------------------------------------------------------

_PREFIXES = [b"l:", b"r:", b"s:", b"n:\x00", b"n:\x01", b"t:", b"k:"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(_PREFIXES),
            st.integers(0, 27),
            st.sampled_from(["delete", "flip", "copy"]),
            st.integers(0, 27),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_tamperings_give_the_same_report(
    tmp_path_factory: pytest.TempPathFactory,
    pool: ProcessPoolExecutor,
    changes: list[tuple[bytes, int, str, int]],
) -> None:
    folder = tmp_path_factory.mktemp("random") / "log"
    receipts = _build(folder)

    def apply(db: plyvel.DB) -> None:
        for prefix, index, how, other in changes:
            key = prefix + _u64(index)
            value = db.get(key)
            if how == "delete":
                db.delete(key)
            elif how == "flip" and value:
                db.put(key, bytes([value[0] ^ 1]) + value[1:])
            elif how == "copy":
                source = db.get(prefix + _u64(other))
                if source is not None:
                    db.put(key, source)

    _tamper(folder, apply)
    with LogStore(folder, check=False) as store:
        try:
            audit_log(store, receipts=receipts)
        except (ValueError, KeyError, TypeError) as error:
            # A tampering the reference itself cannot read past (a torn checkpoint or
            # tombstone): the parallel audit must stop the same way.
            with pytest.raises(type(error)):
                audit_log_parallel(store, workers=2, pool=pool, chunk_leaves=3)
            return
    _assert_same(folder, pool, receipts=receipts)


def test_progress_is_told_every_leaf_walked_in_order(
    tmp_path: Path, pool: ProcessPoolExecutor
) -> None:
    _build(tmp_path / "log")
    told: list[tuple[int, int]] = []
    with LogStore(tmp_path / "log") as store:
        audit_log_parallel(
            store, workers=2, pool=pool, chunk_leaves=4, progress=lambda d, t: told.append((d, t))
        )
    assert told == [(min(28, n), 28) for n in range(4, 29, 4)]
