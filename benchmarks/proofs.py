"""Proofs from a LevelDB log store of N leaves: building them, and checking them.

Set-up (timed and shown, but not a target): a fresh `LogStore` in a temporary folder, filled
with N records through `LogStore.append` in batches of `--batch`, then sealed. The records are
`PreparedRecord`s made directly (canonical bytes from a template, real record ids and salted
commitments), skipping validation: this benchmark is about the tree, `ingest.py` about input.

What is timed, each over `--proofs` random queries against the sealed size:

- `LogStore.inclusion_proof(index, size)` for random indices;
- `LogStore.consistency_proof(old, new)` for random 1 <= old < new <= size;
- `evanchor.anchor.verify.proofs.verify_inclusion` of inclusion proofs, and `verify_consistency` of
  consistency proofs, given the leaf hash and the checkpoint's root (what a court's verifier
  does; no store involved).

References, measured in the same run:

- for building proofs, raw `plyvel.DB.get` calls on the same store, for exactly the
  tree-node keys that a separate sample of proofs reads (collected through a counting node
  reader). A proof's time in raw gets, next to the node reads it makes, says how much the
  proof logic costs on top of the reads it cannot avoid;
- for checking proofs, a bare loop of `sha256(x).digest()` over 65-byte inputs (the size of
  an interior node's input). A verification's time in bare hashes, next to the hashes it
  makes (one per proof element, two for most consistency elements), says the same.
 Each phase opens the database afresh, so no phase inherits
another's LevelDB block cache; the operating system's page cache holds the files throughout
(24 GB of RAM against a store of a few hundred MB).

    python benchmarks/proofs.py            # N = 1,000,000 (a few minutes, mostly the build)
    python benchmarks/proofs.py --quick    # N = 20,000 (a few seconds)
"""

from __future__ import annotations

import argparse
import random
import statistics
import struct
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import plyvel

from evanchor.anchor.errors import ProofError
from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.commitment import commitment, record_id
from evanchor.anchor.verify.proofs import verify_consistency, verify_inclusion

from benchkit import machine_facts, print_table, report_targets, timed

TARGET_PROOFS_PER_SECOND = 5_000
"""Inclusion proofs per second from a store of 1,000,000 leaves."""
TARGET_VERIFICATIONS_PER_SECOND = 20_000
"""Inclusion proof verifications per second."""


def cheap_records(start: int, count: int) -> list[PreparedRecord]:
    """Distinct records without validation: eight per case, collection-checkpoint shaped."""
    records = []
    for i in range(start, start + count):
        canonical = (
            b'{"agency":"91350100M000100Y43","case_id":"C-%08d","channel":"phone",'
            b'"debtor_ref":"dbt:%010x","event":"call","kind":"collection_checkpoint",'
            b'"occurred_at":"2026-11-29T10:15:00+08:00","operator_id":"op-%d"}' % (i // 8, i, i)
        )
        salt = sha256(b"salt" + i.to_bytes(8, "big")).digest()
        records.append(
            PreparedRecord(
                record_id=record_id(canonical),
                canonical=canonical,
                salt=salt,
                commitment=commitment(salt, canonical),
                kind="collection_checkpoint",
                agency="91350100M000100Y43",
                case=f"collection/C-{i // 8:08d}",
            )
        )
    return records


def build_store(path: Path, n: int, batch: int) -> tuple[float, float]:
    """Fill a new store with n records; return (seconds making records, seconds appending)."""
    make_seconds = append_seconds = 0.0
    now = datetime(2026, 11, 29, 10, 15, tzinfo=UTC)
    with LogStore(path, create=True) as store:
        for start in range(0, n, batch):
            seconds, records = timed(lambda s=start: cheap_records(s, min(batch, n - s)))
            make_seconds += seconds
            seconds, _ = timed(lambda r=records: store.append(r, now=now))
            append_seconds += seconds
        store.seal(now=now)
    return make_seconds, append_seconds


def node_key(level: int, index: int) -> bytes:
    """The store's key for complete subtree (level, index), as store.py documents it."""
    return b"n:" + bytes([level]) + struct.pack(">Q", index)


@dataclass(frozen=True)
class Sample:
    inclusion: list[int]
    consistency: list[tuple[int, int]]


def random_sample(rng: random.Random, size: int, count: int) -> Sample:
    pairs = []
    for _ in range(count):
        old = rng.randrange(1, size)
        pairs.append((old, rng.randrange(old + 1, size + 1)))
    return Sample([rng.randrange(size) for _ in range(count)], pairs)


def node_reads(store: LogStore, sample: Sample) -> tuple[list[bytes], float, float]:
    """The node keys the sample's proofs read, and the mean reads per inclusion/consistency
    proof. Uses the same functions as LogStore.inclusion_proof / consistency_proof."""
    keys: list[bytes] = []

    def counting_reader(level: int, index: int) -> bytes:
        keys.append(node_key(level, index))
        return store.node(level, index)

    size = store.size
    for index in sample.inclusion:
        merkle.inclusion_proof_from_nodes(counting_reader, index, size)
    inclusion_reads = len(keys) / len(sample.inclusion)
    before = len(keys)
    for old, new in sample.consistency:
        merkle.consistency_proof_from_nodes(counting_reader, old, new)
    consistency_reads = (len(keys) - before) / len(sample.consistency)
    return keys, inclusion_reads, consistency_reads


@dataclass(frozen=True)
class Rates:
    n: int
    make_seconds: float
    append_seconds: float
    gets_per_second: float
    hashes_per_second: float
    inclusion_reads: float
    consistency_reads: float
    inclusion_hashes: float
    consistency_elements: float
    inclusion_per_second: float
    consistency_per_second: float
    verify_inclusion_per_second: float
    verify_consistency_per_second: float


def measure(folder: Path, n: int, batch: int, count: int, seed: int) -> Rates:
    path = folder / "log"
    make_seconds, append_seconds = build_store(path, n, batch)
    rng = random.Random(seed)
    reference_sample = random_sample(rng, n, count)
    timed_sample = random_sample(rng, n, count)

    with LogStore(path) as store:
        checkpoint = store.latest_checkpoint()
        if checkpoint is None or checkpoint.size != n:
            raise SystemExit(f"benchmark bug: expected a checkpoint at size {n}, got {checkpoint}")
        keys, inclusion_reads, consistency_reads = node_reads(store, reference_sample)

    db = plyvel.DB(str(path))
    try:
        get = db.get
        get_seconds, _ = timed(lambda: [get(key) for key in keys])
    finally:
        db.close()

    with LogStore(path) as store:
        size, root = checkpoint.size, checkpoint.root
        inclusion_seconds, inclusion = timed(
            lambda: [store.inclusion_proof(index, size) for index in timed_sample.inclusion]
        )
        consistency_seconds, consistency = timed(
            lambda: [store.consistency_proof(old, new) for old, new in timed_sample.consistency]
        )
        leaf_hashes = [store.leaf_hash(index) for index in timed_sample.inclusion]
        roots = {new: store.root(new) for old, new in timed_sample.consistency}
        roots.update({old: store.root(old) for old, new in timed_sample.consistency})

    def check_inclusion() -> None:
        for leaf_hash, index, proof in zip(
            leaf_hashes, timed_sample.inclusion, inclusion, strict=True
        ):
            verify_inclusion(leaf_hash, index, size, proof, root)

    def check_consistency() -> None:
        for (old, new), proof in zip(timed_sample.consistency, consistency, strict=True):
            verify_consistency(old, new, roots[old], roots[new], proof)

    inputs = [b"\x01" + h + h for h in leaf_hashes]

    def bare_hashes() -> None:
        for x in inputs:
            sha256(x).digest()

    hash_seconds, _ = timed(bare_hashes)
    verify_inclusion_seconds, _ = timed(check_inclusion)
    verify_consistency_seconds, _ = timed(check_consistency)
    check_rejects(leaf_hashes[0], timed_sample.inclusion[0], size, inclusion[0], root)

    return Rates(
        n=n,
        make_seconds=make_seconds,
        append_seconds=append_seconds,
        gets_per_second=len(keys) / get_seconds,
        hashes_per_second=len(inputs) / hash_seconds,
        inclusion_hashes=statistics.mean(len(p) for p in inclusion),
        consistency_elements=statistics.mean(len(p) for p in consistency),
        inclusion_reads=inclusion_reads,
        consistency_reads=consistency_reads,
        inclusion_per_second=count / inclusion_seconds,
        consistency_per_second=count / consistency_seconds,
        verify_inclusion_per_second=count / verify_inclusion_seconds,
        verify_consistency_per_second=count / verify_consistency_seconds,
    )


def check_rejects(leaf_hash: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """The verifier timed above must also say no: a flipped bit in the proof is refused."""
    if not proof:
        return
    tampered = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    try:
        verify_inclusion(leaf_hash, index, size, tampered, root)
    except ProofError:
        return
    raise SystemExit("benchmark bug: a tampered inclusion proof was accepted")


def report(rates: Rates, count: int) -> bool:
    """Print the table and one PASS/FAIL line per target; True if all pass."""
    gets, hashes = rates.gets_per_second, rates.hashes_per_second
    rows = [
        ["raw plyvel get of a tree node", f"{gets:,.0f}", "", "", ""],
        ["bare sha256(65 bytes).digest()", f"{hashes:,.0f}", "", "", ""],
        [
            "LogStore.inclusion_proof",
            f"{rates.inclusion_per_second:,.0f}",
            "raw get",
            f"{gets / rates.inclusion_per_second:.1f}",
            f"{rates.inclusion_reads:.1f} reads",
        ],
        [
            "LogStore.consistency_proof",
            f"{rates.consistency_per_second:,.0f}",
            "raw get",
            f"{gets / rates.consistency_per_second:.1f}",
            f"{rates.consistency_reads:.1f} reads",
        ],
        [
            "verify.verify_inclusion",
            f"{rates.verify_inclusion_per_second:,.0f}",
            "sha256",
            f"{hashes / rates.verify_inclusion_per_second:.1f}",
            f"{rates.inclusion_hashes:.1f} hashes",
        ],
        [
            "verify.verify_consistency",
            f"{rates.verify_consistency_per_second:,.0f}",
            "sha256",
            f"{hashes / rates.verify_consistency_per_second:.1f}",
            f"{rates.consistency_elements:.1f} elements",
        ],
    ]
    print_table(["operation", "per second", "reference", "x reference", "work each"], rows)
    print(
        f"{count:,} random queries per operation against the sealed size {rates.n:,};"
        " 'x reference' = the operation's time / one reference call's time"
    )
    print()

    results = [
        (
            rates.inclusion_per_second >= TARGET_PROOFS_PER_SECOND,
            f"{rates.inclusion_per_second:,.0f} inclusion proofs/s from a {rates.n:,}-leaf store"
            f" (target >= {TARGET_PROOFS_PER_SECOND:,}/s at 1,000,000 leaves)",
        ),
        (
            rates.verify_inclusion_per_second >= TARGET_VERIFICATIONS_PER_SECOND,
            f"{rates.verify_inclusion_per_second:,.0f} inclusion verifications/s"
            f" (target >= {TARGET_VERIFICATIONS_PER_SECOND:,}/s)",
        ),
    ]
    return report_targets(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="leaves (default 1,000,000)")
    parser.add_argument("--proofs", type=int, default=20_000, help="queries per operation")
    parser.add_argument("--batch", type=int, default=50_000, help="records per append call")
    parser.add_argument("--seed", type=int, default=9162, help="random seed for the queries")
    parser.add_argument("--quick", action="store_true", help="N = 20,000, 2,000 queries")
    args = parser.parse_args()
    if args.quick:
        args.n, args.proofs = 20_000, 2_000
    if args.n < 2:
        parser.error("--n must be at least 2")

    print(f"Proofs from a LogStore of N = {args.n:,} leaves")
    for fact in machine_facts(
        f"plyvel {plyvel.__version__} (LevelDB {plyvel.__leveldb_version__})"
    ):
        print(fact)
    with tempfile.TemporaryDirectory(prefix="bench-proofs-") as folder:
        rates = measure(Path(folder), args.n, args.batch, args.proofs, args.seed)
        store_bytes = sum(f.stat().st_size for f in (Path(folder) / "log").iterdir())
    print(
        f"set-up: {args.n:,} records made in {rates.make_seconds:.1f} s, appended in"
        f" {rates.append_seconds:.1f} s ({args.n / rates.append_seconds:,.0f} records/s,"
        f" batches of {args.batch:,}, synced); store {store_bytes / 2**20:,.0f} MiB"
    )
    print()
    return 0 if report(rates, args.proofs) else 1


if __name__ == "__main__":
    sys.exit(main())
