"""What every benchmark script prints the same way: the machine, tables, timings."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def machine_facts(libraries: str = "") -> list[str]:
    """CPU, Python and load average lines; `libraries` names the versions a script depends on
    (e.g. "OpenSSL 3.0", "plyvel 1.5.1 (LevelDB 1.22)")."""
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    extra = f" {libraries}," if libraries else ""
    return [
        f"machine: {os.cpu_count()} cpus ({len(os.sched_getaffinity(0))} usable), {cpu}",
        f"python {platform.python_version()} ({platform.python_implementation()}),"
        f"{extra} {platform.system()} {platform.release()}",
        f"load average at start: {load}",
    ]


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-align the first column, right-align the others."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        return "  ".join(cells)

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def report_targets(results: Sequence[tuple[bool, str]]) -> bool:
    """Print one PASS/FAIL line per target; True if every target passed."""
    for passed, text in results:
        print(f"{'PASS' if passed else 'FAIL'}: {text}")
    return all(passed for passed, _ in results)


@contextmanager
def core_loaded() -> Iterator[int]:
    """Another process keeps one core busy (a Python busy loop) until the block ends; yields
    its pid. For figures "with another process loading a core"."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def spread(values: Sequence[float]) -> str:
    """min-median-max of `values`, as `12,300-12,800-13,100`."""
    ordered = sorted(values)
    return "-".join(f"{v:,.0f}" for v in (ordered[0], statistics.median(ordered), ordered[-1]))


def spread_ratio(values: Sequence[float]) -> str:
    """min-median-max of ratios, as `0.81-0.86-0.90`."""
    ordered = sorted(values)
    return "-".join(f"{v:.2f}" for v in (ordered[0], statistics.median(ordered), ordered[-1]))


@contextmanager
def loaded_core(enabled: bool = True) -> Iterator[str]:
    """`core_loaded` when `enabled`, else nothing; yields the figure's label ("a core
    loaded" or "quiet"), for scripts that take both from one option."""
    if not enabled:
        yield "quiet"
        return
    with core_loaded():
        yield "a core loaded"
