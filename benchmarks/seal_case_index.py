"""What a seal costs with the case index (docs/PROTOCOL.md §4.1), and a case's proof.

A seal rehashes the entries of the cases changed since the last seal and the case-index
nodes above them: O(changed cases · log cases), whatever the number of cases that did not
change. This script fills a log with CASES cases (records spread over them, sealed once),
then for several numbers of changed cases appends one record to each, seals, and times the
seal; and times `case_index_proof` of a case at the first and the latest checkpoint.

    python benchmarks/seal_case_index.py [--cases 100000] [--records-per-batch 10000]

Targets: a seal that changes 1,000 cases of 100,000 within 1 s; a case's proof at any
checkpoint within 5 ms (it is read on a request path).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, PreparedRecord

from benchkit import machine_facts, print_table, report_targets, timed


def _record(n: int, case: int) -> PreparedRecord:
    return prepare_record(
        {
            "kind": "collection_checkpoint",
            "case_id": f"C-{case:07d}",
            "agency": "91350100M000100Y43",
            "debtor_ref": "debtor-7f3a9c",
            "event": "call",
            "occurred_at": "2026-11-29T10:15:00+08:00",
            "channel": "phone",
            "operator_id": f"op-{n}",
        },
        salt=n.to_bytes(32, "big"),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--records-per-batch", type=int, default=10_000)
    args = parser.parse_args()
    for line in machine_facts():
        print(line)
    rows: list[list[str]] = []
    results: list[tuple[bool, str]] = []
    with tempfile.TemporaryDirectory() as folder, LogStore(Path(folder), create=True) as store:
        n = 0
        started = time.perf_counter()
        for start in range(0, args.cases, args.records_per_batch):
            batch = range(start, min(args.cases, start + args.records_per_batch))
            store.append([_record(n + i, case) for i, case in enumerate(batch)])
            n += len(batch)
        first_seal, _ = timed(store.seal)
        print(
            f"filled {args.cases} cases in {time.perf_counter() - started:.1f} s;"
            f" first seal (every case new) {first_seal:.2f} s"
        )
        seal_of_1000 = 0.0
        for changed in (1, 10, 100, 1_000, 10_000):
            if changed > args.cases:
                continue
            store.append([_record(n + i, i * (args.cases // changed)) for i in range(changed)])
            n += changed
            seconds, _ = timed(store.seal)
            if changed == 1_000:
                seal_of_1000 = seconds
            rows.append([f"{changed} of {args.cases}", f"{seconds * 1000:.1f}"])
        print_table(["cases changed", "seal (ms)"], rows)
        latest = store.checkpoint_count - 1
        proofs = []
        for seq in (0, latest):
            seconds, found = timed(lambda s=seq: store.case_index_proof("collection/C-0000000", s))
            assert found is not None
            proofs.append(seconds)
            print(f"case_index_proof at checkpoint {seq}: {seconds * 1000:.2f} ms")
    results.append(
        (seal_of_1000 <= 1.0, f"seal of 1,000 changed cases: {seal_of_1000:.3f} s <= 1 s")
    )
    results.append((max(proofs) <= 0.005, f"case proof: {max(proofs) * 1000:.2f} ms <= 5 ms"))
    return 0 if report_targets(results) else 1


if __name__ == "__main__":
    sys.exit(main())
