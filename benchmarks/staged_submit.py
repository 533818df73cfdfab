"""`evanchor submit` of a large signed file to a running node (one staged upload), against
the offline `submit` of the same size measured in the same run.

Set-up, through the real CLI in subprocesses, in a temporary folder: two node folders
(`evanchor init`, embedded chain, default seal policy), one agency key granted on both
chains. Records are generated as benchmarks/ingest.py generates them and signed here for
each chain (set-up, not timed), a fresh file for every run, so no run meets duplicates.

Each repeat times, end to end (interpreter start-up included):

- offline: `evanchor submit signed.jsonl` into node folder A with no node running (read on
  every core, signers recovered, the registry read from the chain, appended locally);
- staged: `evanchor submit signed.jsonl` into node folder B while `evanchor node start`
  runs there: the file is read and its envelopes checked locally, sent as chunks of at most
  16 MiB (each checked by the node: schema, commitment, signature, registry), then one
  commit appends all records in one synced batch.

Phases come from the commands' own `--progress` lines on stderr (reading, sending,
committing; reading, appending). The whole runs twice: quiet-ish, then with another process
keeping one core busy (`benchkit.core_loaded`). Figures are min-median-max over `--repeat`
runs; the ratio is staged over offline records/s, per repeat pair.

    python benchmarks/staged_submit.py            # K = 100,000; 50 minutes on a busy 2-core machine
    python benchmarks/staged_submit.py --quick    # K = 3,000, 2 repeats; about 2 minutes
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from signed_ingest import (
    Agency,
    Node,
    environment,
    evanchor,
    fresh_records,
    init_node,
    new_agency,
    run,
    running,
    sign_all,
)

from evanchor.anchor.log.parallel_ingest import default_workers

from benchkit import core_loaded, machine_facts, print_table, spread, spread_ratio
from ingest import agencies

APPENDED = re.compile(r"appended (\d+) record\(s\), (\d+) already in the log")
PHASE = re.compile(
    r"^(\w+): [\d.,]+ (?:records|MB) in (?:(?P<h>\d+) h )?(?:(?P<m>\d+) min )?(?P<s>[\d.]+)? ?s?,"
)


@dataclass(frozen=True)
class Run:
    seconds: float
    phases: dict[str, float]

    def rate(self, k: int) -> float:
        return k / self.seconds


def phases_of(stderr: str) -> dict[str, float]:
    """The seconds of each phase the command's `--progress` summary lines report."""
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        match = PHASE.match(line.strip("\r\x1b[K"))
        if match:
            hours, minutes, seconds = (match.group(name) or "0" for name in ("h", "m", "s"))
            found[match.group(1)] = 3600 * int(hours) + 60 * int(minutes) + float(seconds)
    return found


def write_signed(
    path: Path, node: Node, agency: Agency, *, k: int, seed: int, workers: int
) -> None:
    records = fresh_records(k, seed, agency.code)
    envelopes = sign_all(records, agency.key(), node.domain.separator, workers)
    with path.open("w", encoding="utf-8") as out:
        for envelope in envelopes:
            out.write(json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) + "\n")


def timed_submit(node: Node, signed: Path, k: int) -> Run:
    command = [evanchor(), "--home", str(node.home), "submit", str(signed), "--progress"]
    start = time.perf_counter()
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    counted = APPENDED.search(done.stdout)
    # generated records of different seeds may rarely coincide: those come back as duplicates
    if done.returncode != 0 or counted is None or sum(map(int, counted.groups())) != k:
        raise SystemExit(f"submit failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return Run(seconds, phases_of(done.stderr))


def condition(
    label: str,
    nodes: tuple[Node, Node],
    files: list[tuple[Path, Path]],
    k: int,
    folder: Path,
) -> tuple[str, list[Run], list[Run]]:
    offline_node, staged_node = nodes
    offline: list[Run] = []
    staged: list[Run] = []
    with running(staged_node, folder / f"node-b-{label.split(maxsplit=1)[0]}.log"):
        for offline_file, staged_file in files:
            offline.append(timed_submit(offline_node, offline_file, k))
            staged.append(timed_submit(staged_node, staged_file, k))
            print(
                f"  {label}: offline {offline[-1].rate(k):,.0f} records/s,"
                f" staged {staged[-1].rate(k):,.0f} records/s"
            )
    return label, offline, staged


def phase_cell(runs: list[Run], name: str) -> str:
    values = [run.phases[name] for run in runs if name in run.phases]
    if len(values) != len(runs):
        return "-"
    ordered = sorted(values)
    return "-".join(f"{v:.1f}" for v in (ordered[0], ordered[len(ordered) // 2], ordered[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--k", type=int, default=100_000, help="records per submitted file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per path and condition")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--seed", type=int, default=1010)
    parser.add_argument("--quick", action="store_true", help="K = 3,000, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.k, args.repeat = 3_000, 2
    k = args.k
    print(f"Staged submit to a running node: K = {k:,} signed records a file, {args.repeat} runs")
    for fact in machine_facts():
        print(fact)
    rng = random.Random(args.seed)
    code = agencies(rng, 1)[0]
    with tempfile.TemporaryDirectory(prefix="bench-staged-") as name:
        folder = Path(name)
        node_a = init_node(folder / "node-a")
        node_b = init_node(folder / "node-b")
        agency = new_agency(node_a, folder, code)
        for node in (node_a, node_b):
            run(node.home, "agency", "grant", agency.address, "--code", code)
        print("two node folders ready, agency granted on both; signing (set-up)...")
        files: list[tuple[Path, Path]] = []
        for i in range(2 * args.repeat):
            pair = (folder / f"a-{i}.jsonl", folder / f"b-{i}.jsonl")
            for path, node, seed in ((pair[0], node_a, 2 * i), (pair[1], node_b, 2 * i + 1)):
                write_signed(path, node, agency, k=k, seed=args.seed + seed, workers=args.workers)
            files.append(pair)
        size = files[0][1].stat().st_size
        print(f"signed files of {size / 1e6:.1f} MB ({size // k} bytes a record)")
        results = [condition("quiet-ish", (node_a, node_b), files[: args.repeat], k, folder)]
        with core_loaded():
            results.append(
                condition("one core loaded", (node_a, node_b), files[args.repeat :], k, folder)
            )

    print()
    rows = []
    for label, offline, staged in results:
        rows.append(
            [
                label,
                spread([r.rate(k) for r in offline]),
                spread([r.rate(k) for r in staged]),
                spread_ratio([s.rate(k) / o.rate(k) for o, s in zip(offline, staged, strict=True)]),
            ]
        )
    print_table(["condition", "offline records/s", "staged records/s", "staged/offline"], rows)
    print()
    phase_rows = []
    for label, offline, staged in results:
        phase_rows.append(
            [
                label,
                phase_cell(offline, "reading"),
                phase_cell(offline, "appending"),
                phase_cell(staged, "reading"),
                phase_cell(staged, "sending"),
                phase_cell(staged, "committing"),
            ]
        )
    print("seconds per phase, min-median-max (from the commands' --progress lines):")
    print_table(
        [
            "condition",
            "offline read",
            "offline append",
            "staged read",
            "staged send",
            "staged commit",
        ],
        phase_rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
