"""Durability: a writer killed with SIGKILL at random points never loses an acknowledged record.

A child process appends batches and prints a line per receipt only after `append` returned
(that is, after the synced LevelDB write). The test kills it at random moments, many times,
reopens the log, and checks every acknowledged record at its index, and the whole log
against a from-scratch recomputation.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.verify.proofs import verify_consistency, verify_inclusion

from merkle_reference import mth

WRITER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from evanchor.anchor.log.ingest import prepare_record
    from evanchor.anchor.log.store import LogStore

    path, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    with LogStore(path, create=True) as store:
        n = store.size
        print("READY", flush=True)
        while True:
            batch = []
            for _ in range(rng.randint(1, 40)):
                batch.append(prepare_record({
                    "kind": "collection_checkpoint", "case_id": f"C-{n % 7}",
                    "agency": "91350100M000100Y43", "debtor_ref": "debtor-7f3a9c",
                    "event": "call", "occurred_at": "2026-11-29T10:15:00+08:00",
                    "channel": "phone", "operator_id": f"op-{seed}-{n}",
                }))
                n += 1
            receipts = store.append(batch)
            out = [f"ACK {r.index} {r.record_id.hex()} {r.leaf_hash.hex()}" for r in receipts]
            print("\\n".join(out), flush=True)
            if rng.random() < 0.2:
                store.seal()
    """
)

ROUNDS = 25


def test_sigkill_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    log = tmp_path / "log"
    rng = random.Random(20261129)
    acknowledged: dict[int, tuple[str, str]] = {}
    for round_number in range(ROUNDS):
        child = subprocess.Popen(
            [sys.executable, str(script), str(log), str(round_number)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        output, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        for line in output.splitlines():
            parts = line.split()
            # A line cut by the kill is not an acknowledgement: it was never fully written.
            if len(parts) == 4 and parts[0] == "ACK" and len(parts[3]) == 64:
                acknowledged[int(parts[1])] = (parts[2], parts[3])

    assert len(acknowledged) > ROUNDS, "the writer should have acknowledged records"
    with LogStore(log) as store:
        for index, (record_id, leaf_hash) in acknowledged.items():
            stored = store.record(index)
            assert stored.record_id.hex() == record_id
            assert stored.leaf_hash.hex() == leaf_hash
        assert store.size >= max(acknowledged) + 1
        leaves = [store.raw_entry(i)[0] or b"" for i in range(store.size)]  # seal leaves too
        root = store.root()
        assert root == mth(leaves)
        previous = None
        for checkpoint in store.checkpoints():
            assert checkpoint.root == mth(leaves[: checkpoint.size])
            if previous is not None:
                verify_consistency(
                    previous.size,
                    checkpoint.size,
                    previous.root,
                    checkpoint.root,
                    store.consistency_proof(previous.size, checkpoint.size),
                )
            previous = checkpoint
        for index in random.Random(1).sample(range(store.size), min(50, store.size)):
            proof = store.inclusion_proof(index, store.size)
            verify_inclusion(store.leaf_hash(index), index, store.size, proof, root)
