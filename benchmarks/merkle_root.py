"""Merkle root of N leaves: evanchor against a bare SHA-256 loop and against pymerkle.

What is timed, from leaf bytes already in memory to the 32-byte root:

- evanchor: `evanchor.anchor.protocol.merkle.root_of_leaves(leaves)`: N leaf hashes and N - 1
  interior hashes (RFC 9162 §2.1).
- bare loop: `for x in inputs: sha256(x).digest()` over 2N prepared byte strings, N of them
  the exact leaf inputs (0x00 || leaf) and N interior-sized ones (0x01 || 32 || 32 bytes).
  It does nothing but the hash calls, so it is the floor for any Python code that makes
  them one by one: the ratio evanchor/bare is what the tree bookkeeping costs on top.
- pymerkle 7 `InmemoryTree`: `InmemoryTree.init_from_entries(leaves)` (its bulk
  constructor), then `get_root()`.
- pymerkle 7 `SqliteTree`: a fresh database file in a temporary folder,
  `append_entries(leaves)` (its bulk path: hash in chunks of 100,000, `executemany`, one
  transaction), then `get_root()`.

pymerkle's default configuration (SHA-256, `security=True`: 0x00 leaf and 0x01 node
prefixes, RFC 9162 tree shape) is the same hash as evanchor's; the script checks that both
give the same root and says so.

The leaves are shaped like real log leaves (the canonical JSON envelope, ~230 bytes), made
from a template rather than by `LeafEnvelope.to_bytes()` so that building a million takes a
second; the script checks that the template gives the same bytes as the real encoder.

evanchor and the bare loop are run `--repeat` times, interleaved, and compared by the median
of the per-round ratios, so that load from other processes hits both alike. pymerkle is run
once per tree (tens of seconds at N = 1,000,000), with evanchor timed on the same leaves
just before and just after it; the speed-up is pymerkle's time over the mean of those two,
so that a change in the machine's load during the run does not count for or against
either. `--pymerkle-n` runs pymerkle (and those neighbouring evanchor runs) at a smaller
size; the table then scales pymerkle's time linearly to N, which flatters pymerkle (its
in-memory append is O(log n) per leaf), and says so.

    python benchmarks/merkle_root.py            # N = 1,000,000 (about a minute)
    python benchmarks/merkle_root.py --quick    # N = 20,000 (a few seconds)
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from pymerkle import InmemoryTree, SqliteTree

from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.leaf import LeafEnvelope, utc_timestamp

from benchkit import machine_facts, print_table, report_targets, timed

TARGET_VS_PYMERKLE = 10.0
"""evanchor must be at least this many times faster than each pymerkle tree."""
TARGET_VS_BARE_LOOP = 1.5
"""evanchor may take at most this many times the bare loop of 2N SHA-256 calls."""


def make_leaves(n: int) -> list[bytes]:
    """n distinct leaves in the exact form of real log leaves (RFC 8785 envelope bytes).

    Cases have eight leaves each, so `prev` is null on a case's first leaf.
    """
    head = b'{"accepted_at":"2026-11-29T10:15:00.123Z","agency":"91350100M000100Y43","case":"'
    return [
        b'%scollection/C-%08d","commitment":"%s","kind":"collection_checkpoint","prev":%s,"v":1}'
        % (
            head,
            i // 8,
            sha256(i.to_bytes(8, "big")).hexdigest().encode(),
            b"%d" % (i - 1) if i % 8 else b"null",
        )
        for i in range(n)
    ]


def check_leaf_template() -> None:
    """The template above must produce what `LeafEnvelope.to_bytes()` produces."""
    i = 12345
    real = LeafEnvelope(
        commitment=sha256(i.to_bytes(8, "big")).digest(),
        kind="collection_checkpoint",
        agency="91350100M000100Y43",
        case=f"collection/C-{i // 8:08d}",
        prev=i - 1,
        accepted_at=utc_timestamp(datetime(2026, 11, 29, 10, 15, 0, 123000, tzinfo=UTC)),
    ).to_bytes()
    if make_leaves(i + 1)[i] != real:
        raise SystemExit("benchmark bug: the leaf template differs from LeafEnvelope.to_bytes()")


def bare_loop_inputs(leaves: Sequence[bytes]) -> list[bytes]:
    """2N messages: the N exact leaf inputs and N interior-node-sized inputs."""
    inputs = [b"\x00" + leaf for leaf in leaves]
    digests = [sha256(x).digest() for x in inputs]
    inputs += [b"\x01" + digests[i] + digests[i - 1] for i in range(len(leaves))]
    return inputs


def bare_loop(inputs: Sequence[bytes]) -> None:
    for x in inputs:
        sha256(x).digest()


@dataclass(frozen=True)
class OursVsBare:
    ours_times: list[float]
    bare_times: list[float]
    ratio: float
    """Median over rounds of evanchor's time / the bare loop's time in the same round."""
    root: bytes


def measure_ours_vs_bare(leaves: list[bytes], inputs: list[bytes], repeat: int) -> OursVsBare:
    ours_times: list[float] = []
    bare_times: list[float] = []
    root = b""
    for _ in range(repeat):
        bare_seconds, _ = timed(lambda: bare_loop(inputs))
        ours_seconds, root = timed(lambda: merkle.root_of_leaves(leaves))
        bare_times.append(bare_seconds)
        ours_times.append(ours_seconds)
    ratio = statistics.median(o / b for o, b in zip(ours_times, bare_times, strict=True))
    return OursVsBare(ours_times, bare_times, ratio, root)


@dataclass(frozen=True)
class PymerkleRun:
    """pymerkle's times at n leaves, each with evanchor's time on the same leaves measured
    next to it (the mean of a run just before and one just after), so that the speed-up is
    a ratio of neighbouring runs, whatever else the machine was doing meanwhile."""

    n: int
    inmemory_seconds: float
    inmemory_ours: float
    inmemory_root: bytes
    sqlite_append_seconds: float
    sqlite_root_seconds: float
    sqlite_ours: float
    sqlite_root: bytes


def measure_pymerkle(leaves: list[bytes]) -> PymerkleRun:
    """Each pymerkle tree, with evanchor timed on the same leaves just before and after it."""

    def ours() -> float:
        return timed(lambda: merkle.root_of_leaves(leaves))[0]

    inmemory_ours = ours()
    inmemory_seconds, inmemory_root = timed(
        lambda: InmemoryTree.init_from_entries(leaves).get_root()
    )
    inmemory_ours = (inmemory_ours + ours()) / 2
    sqlite_ours = ours()
    with tempfile.TemporaryDirectory(prefix="bench-pymerkle-") as folder:
        tree = SqliteTree(str(Path(folder) / "tree.db"))
        try:
            append_seconds, _ = timed(lambda: tree.append_entries(leaves))
            root_seconds, sqlite_root = timed(tree.get_root)
        finally:
            tree.close()
    sqlite_ours = (sqlite_ours + ours()) / 2
    return PymerkleRun(
        n=len(leaves),
        inmemory_seconds=inmemory_seconds,
        inmemory_ours=inmemory_ours,
        inmemory_root=inmemory_root,
        sqlite_append_seconds=append_seconds,
        sqlite_root_seconds=root_seconds,
        sqlite_ours=sqlite_ours,
        sqlite_root=sqlite_root,
    )


def report(n: int, mine: OursVsBare, pm: PymerkleRun, our_root_at_pm_n: bytes) -> bool:
    """Print the table and one PASS/FAIL line per target; True if all pass."""
    ours = statistics.median(mine.ours_times)
    bare = statistics.median(mine.bare_times)
    scale = n / pm.n
    inmemory = pm.inmemory_seconds * scale
    sqlite = (pm.sqlite_append_seconds + pm.sqlite_root_seconds) * scale
    scaled = "" if scale == 1 else f" [run at {pm.n:,}, time x{scale:g}]"
    rows = [
        ["bare loop, 2N sha256(x).digest()", f"{bare:.3f}", f"{2 * n / bare:,.0f} hash/s", "1.00"],
        ["evanchor root_of_leaves", f"{ours:.3f}", f"{n / ours:,.0f} leaf/s", f"{mine.ratio:.2f}"],
        [
            "pymerkle InmemoryTree init+root" + scaled,
            f"{inmemory:.3f}",
            f"{n / inmemory:,.0f} leaf/s",
            f"{inmemory / bare:.2f}",
        ],
        [
            "pymerkle SqliteTree append+root" + scaled,
            f"{sqlite:.3f}",
            f"{n / sqlite:,.0f} leaf/s",
            f"{sqlite / bare:.2f}",
        ],
        [
            "  of which append_entries",
            f"{pm.sqlite_append_seconds * scale:.3f}",
            "",
            f"{pm.sqlite_append_seconds * scale / bare:.2f}",
        ],
        [
            "  of which get_root",
            f"{pm.sqlite_root_seconds * scale:.3f}",
            "",
            f"{pm.sqlite_root_seconds * scale / bare:.2f}",
        ],
    ]
    print_table(["evanchor, bare loop: median of rounds", "seconds", "rate", "x bare loop"], rows)
    print(f"evanchor rounds: {', '.join(f'{t:.3f}' for t in mine.ours_times)} s")
    print(f"bare loop rounds: {', '.join(f'{t:.3f}' for t in mine.bare_times)} s")
    print("x bare loop for evanchor is the median of the per-round ratios")
    print()

    same = pm.inmemory_root == our_root_at_pm_n == pm.sqlite_root
    print(
        f"roots at N = {pm.n:,}: evanchor {our_root_at_pm_n.hex()[:16]}…,"
        f" pymerkle InmemoryTree {pm.inmemory_root.hex()[:16]}…,"
        f" SqliteTree {pm.sqlite_root.hex()[:16]}…"
    )
    verdict = "roots MATCH" if same else "roots DIFFER"
    print(
        "pymerkle configuration: its defaults (sha256, security=True: 0x00 leaf and 0x01 node"
        f" prefixes, RFC 9162 shape), nothing changed; {verdict}"
    )
    if scale != 1:
        print(
            f"note: pymerkle was run at {pm.n:,} leaves and its time scaled linearly to {n:,};"
            " its in-memory append is O(log n) per leaf, so the scaling flatters it"
        )
    print()

    # Speed-ups from neighbouring runs at pymerkle's size (see PymerkleRun).
    vs_inmemory = pm.inmemory_seconds / pm.inmemory_ours
    vs_sqlite = (pm.sqlite_append_seconds + pm.sqlite_root_seconds) / pm.sqlite_ours
    print(
        f"evanchor next to each pymerkle run at {pm.n:,} leaves: {pm.inmemory_ours:.3f} s"
        f" (InmemoryTree), {pm.sqlite_ours:.3f} s (SqliteTree)"
    )
    print()
    results = [
        (
            vs_inmemory >= TARGET_VS_PYMERKLE,
            f"evanchor is {vs_inmemory:.1f}x faster than pymerkle InmemoryTree"
            f" (target >= {TARGET_VS_PYMERKLE:g}x)",
        ),
        (
            vs_sqlite >= TARGET_VS_PYMERKLE,
            f"evanchor is {vs_sqlite:.1f}x faster than pymerkle SqliteTree"
            f" (target >= {TARGET_VS_PYMERKLE:g}x)",
        ),
        (
            mine.ratio <= TARGET_VS_BARE_LOOP,
            f"evanchor takes {mine.ratio:.2f}x the bare loop of 2N sha256 calls"
            f" (target <= {TARGET_VS_BARE_LOOP:g}x)",
        ),
        (same, "pymerkle's roots equal evanchor's"),
    ]
    return report_targets(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="leaves (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of evanchor vs bare loop")
    parser.add_argument(
        "--pymerkle-n", type=int, help="run pymerkle at this many leaves and scale to N"
    )
    parser.add_argument("--quick", action="store_true", help="N = 20,000, 2 rounds (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeat = 20_000, 2
    n = args.n
    pymerkle_n = min(args.pymerkle_n or n, n)

    print(f"Merkle root of N = {n:,} leaves")
    for fact in machine_facts(ssl.OPENSSL_VERSION):
        print(fact)
    check_leaf_template()
    leaves = make_leaves(n)
    inputs = bare_loop_inputs(leaves)
    print(f"leaf size: {len(leaves[0])}-{len(leaves[-1])} bytes; bare loop: {len(inputs):,} calls")
    print()

    mine = measure_ours_vs_bare(leaves, inputs, args.repeat)
    pm_leaves = leaves[:pymerkle_n]
    pm = measure_pymerkle(pm_leaves)
    our_root_at_pm_n = mine.root if pymerkle_n == n else merkle.root_of_leaves(pm_leaves)
    return 0 if report(n, mine, pm, our_root_at_pm_n) else 1


if __name__ == "__main__":
    sys.exit(main())
