"""The flags of each submission (`compliance_log.submission_flags`), with and without the
node's cache of recently read records (`RecentRecords`).

A log in a temporary folder takes `--records` generated records (benchmarks/ingest.py's
samples: about 23 records a case, in order) in batches of `--batch`, as a node's
submissions arrive; after each append the batch's flags are computed twice, once reading
every record from the store (the reference, in the same run) and once through the cache,
in alternating order, and both timed. The two answers must be equal (the run checks it).
Printed: records/s for each and the ratio, per round, min - median - max of `--rounds`.

    python benchmarks/submission_flags.py                 # 20,000 records x 3 rounds
    python benchmarks/submission_flags.py --records 2000 --rounds 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from evanchor.anchor.compliance.rules import default_rule_set
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.compliance_log import RecentRecords, submission_flags

from benchkit import machine_facts
from ingest import agencies, templates, vary


def one_round(folder: Path, records: int, batch: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    pool, codes = templates(), agencies(rng, 8)
    generated = [vary(pool[i % len(pool)], i, rng, codes) for i in range(records)]
    rules, recent = default_rule_set(), RecentRecords()
    fresh_s = cached_s = 0.0
    with LogStore(folder / f"log-{seed}", create=True) as store:
        for n, start in enumerate(range(0, records, batch)):
            receipts = store.append([prepare_record(r) for r in generated[start : start + batch]])
            order = (False, True) if n % 2 == 0 else (True, False)
            answers = {}
            for cached in order:
                began = time.perf_counter()
                answers[cached] = submission_flags(
                    store, receipts, rules, recent if cached else None
                )
                spent = time.perf_counter() - began
                if cached:
                    cached_s += spent
                else:
                    fresh_s += spent
            if repr(answers[True]) != repr(answers[False]):
                raise SystemExit(f"the cached flags differ at records {start}..")
    return records / fresh_s, records / cached_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(machine_facts()))
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench-flags-") as folder:
        for seed in range(args.rounds):
            fresh, cached = one_round(Path(folder), args.records, args.batch, seed)
            ratios.append(cached / fresh)
            print(
                f"round {seed + 1}: store reads {fresh:,.0f} records/s, cached {cached:,.0f}"
                f" records/s: {cached / fresh:.2f}x"
            )
    print(
        f"cached / store reads: {min(ratios):.2f} - {statistics.median(ratios):.2f}"
        f" - {max(ratios):.2f}x (min - median - max of {len(ratios)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
