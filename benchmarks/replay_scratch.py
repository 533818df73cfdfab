"""Replaying a chain export into a scratch database: synced writes against unsynced ones.

`evanchor audit` (and `chain replay` without --into) re-execute the embedded chain into a
temporary LevelDB that is deleted afterwards; since issue 12 that database is opened with
`sync=False`. This measures what the fsync of every block cost: one export of N blocks,
each holding a few transfers (as an anchoring block holds one transaction), replayed into
LevelDB with `sync=True` (the reference, as before) and `sync=False`, alternately, R times.

Prints blocks/s for both, min-median-max over the repetitions, and the ratio measured in the
same run. Run it once more with another process loading a core (e.g. `yes > /dev/null &`).

    python benchmarks/replay_scratch.py [--blocks 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_keys import keys

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.export import export_blocks, replay
from evanchor.node.chain.genesis import Genesis
from evanchor.node.chain.leveldb import LevelDB

from benchkit import machine_facts, print_table

CHAIN_ID = 7107
GWEI = 10**9


def build_export(blocks: int, per_block: int) -> tuple[Genesis, bytes]:
    sealer = keys.PrivateKey(b"\x11" * 32)
    sender = Account.from_key(b"\x22" * 32)
    genesis = Genesis(
        chain_id=CHAIN_ID,
        authorities=(bytes(sealer.public_key.to_canonical_address()),),
        allowlist=(bytes.fromhex(sender.address[2:]),),
        timestamp=1_764_000_000,
        alloc=((bytes.fromhex(sender.address[2:]), 10**24),),
    )
    chain = EmbeddedChain.in_memory(genesis, sealer)
    nonce = 0
    for _ in range(blocks):
        for _ in range(per_block):
            tx = {
                "type": 2,
                "chainId": CHAIN_ID,
                "nonce": nonce,
                "to": "0x" + "99" * 20,
                "value": 1,
                "gas": 21_000,
                "maxFeePerGas": 100 * GWEI,
                "maxPriorityFeePerGas": GWEI,
            }
            chain.add_transaction(bytes(sender.sign_transaction(tx).raw_transaction))
            nonce += 1
        chain.seal_block(allow_empty=True)
    out = io.BytesIO()
    export_blocks(chain, out)
    return genesis, out.getvalue()


def replay_once(genesis: Genesis, export: bytes, *, sync: bool) -> float:
    scratch = Path(tempfile.mkdtemp(prefix="evanchor-bench-replay-"))
    try:
        target = EmbeddedChain(genesis, LevelDB(scratch / "chaindata", sync=sync))
        try:
            start = time.perf_counter()
            replay(io.BytesIO(export), target)
            return time.perf_counter() - start
        finally:
            target.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=300)
    parser.add_argument("--per-block", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for line in machine_facts():
        print(line)
    genesis, export = build_export(args.blocks, args.per_block)
    print(f"export: {args.blocks} blocks of {args.per_block} transfers, {len(export):,} bytes\n")
    synced: list[float] = []
    unsynced: list[float] = []
    for _ in range(args.repeat):
        synced.append(args.blocks / replay_once(genesis, export, sync=True))
        unsynced.append(args.blocks / replay_once(genesis, export, sync=False))

    def spread(rates: list[float]) -> str:
        return f"{min(rates):.0f} / {statistics.median(rates):.0f} / {max(rates):.0f}"

    print_table(
        ["scratch database", "blocks/s min / median / max"],
        [
            ["LevelDB, sync=True (reference)", spread(synced)],
            ["LevelDB, sync=False", spread(unsynced)],
        ],
    )
    ratios = [u / s for u, s in zip(unsynced, synced, strict=True)]
    print(
        f"\nratio sync=False / sync=True, per repetition: min {min(ratios):.2f}x,"
        f" median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x"
    )


if __name__ == "__main__":
    main()
