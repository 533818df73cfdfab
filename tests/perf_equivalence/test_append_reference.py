"""`LogStore.append` writes the leaves, receipts and roots a plain model of the log predicts.

The model is written from PROTOCOL.md §3 with nothing shared with the store's append but
`LeafEnvelope`: each new record gets the next index and a leaf whose `prev` is the index of
its case's latest leaf; a record id seen before gets the first receipt again, marked
duplicate; the root is the RFC 9162 hash of all leaves (tests/merkle_reference.py). Cases
include strings that need escaping, so that both roads of the store's leaf encoder are taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.protocol.leaf import LeafEnvelope, utc_timestamp

from merkle_reference import mth

CASES = ["collection/C-1", "collection/C-2", "auction/LOT-9", 'collection/a"b', "auction/\u4e2d"]
KINDS = {"collection": "collection_checkpoint", "auction": "auction_record"}
START = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)


@dataclass
class LogModel:
    leaves: list[bytes] = field(default_factory=list)
    heads: dict[str, int] = field(default_factory=dict)
    first: dict[bytes, tuple[int, str]] = field(default_factory=dict)

    def append(self, record: PreparedRecord, accepted_at: str) -> tuple[int, bool, str]:
        """(index, duplicate, accepted_at) of the record's receipt."""
        if record.record_id in self.first:
            index, first_accepted = self.first[record.record_id]
            return index, True, first_accepted
        index = len(self.leaves)
        envelope = LeafEnvelope(
            commitment=record.commitment,
            kind=record.kind,
            agency=record.agency,
            case=record.case,
            prev=self.heads.get(record.case),
            accepted_at=accepted_at,
        )
        self.leaves.append(envelope.to_bytes())
        self.heads[record.case] = index
        self.first[record.record_id] = (index, accepted_at)
        return index, False, accepted_at


def prepared(case: str, payload: int) -> PreparedRecord:
    canonical = f'{{"case":{case!r},"n":{payload}}}'.encode()
    salt = sha256(canonical + b"salt").digest()
    return PreparedRecord(
        record_id=sha256(canonical).digest(),
        canonical=canonical,
        salt=salt,
        commitment=sha256(salt + canonical).digest(),
        kind=KINDS[case.split("/", maxsplit=1)[0]],
        agency="91310115MA1K3TQ00E",
        case=case,
    )


records = st.builds(prepared, st.sampled_from(CASES), st.integers(0, 40))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(records, min_size=1, max_size=30), min_size=1, max_size=6))
def test_append_matches_the_model(batches: list[list[PreparedRecord]]) -> None:
    model = LogModel()
    with TemporaryDirectory() as folder, LogStore(Path(folder), create=True) as store:
        for number, batch in enumerate(batches):
            now = START + timedelta(seconds=number, milliseconds=7 * number)
            receipts = store.append(batch, now=now)
            expected = [model.append(record, utc_timestamp(now)) for record in batch]
            assert [(r.index, r.duplicate, r.accepted_at) for r in receipts] == expected
            for receipt in receipts:
                assert receipt.leaf_hash == sha256(b"\x00" + model.leaves[receipt.index]).digest()
            assert store.size == len(model.leaves)
            assert store.root() == mth(model.leaves)
        assert [store.raw_entry(i)[0] for i in range(store.size)] == model.leaves
