"""What a one-record command costs: `init`, `agency new`, `agency grant`, `submit`, `prove`
and `verify`, each timed as the real `evanchor` console script, against `evanchor --help`.

Each round makes a fresh embedded node folder in a temporary directory and runs, in order:

    evanchor --help                                  the reference (start-up and imports)
    evanchor init --seal-every 1                     keys, genesis, chain, contract deployed
    evanchor agency new -o KEY --password-file PW    one agency keystore
    evanchor agency grant ADDRESS --code CODE        its registration, one block
    evanchor submit ONE.jsonl --key KEY ...          one signed record, no node running
    (evanchor node start; wait until anchored; SIGTERM; not timed)
    evanchor prove RECORD_ID -o BUNDLE               the bundle, from the stopped node's folder
    evanchor verify BUNDLE                           offline: every hash recomputed

Keystores are written with the default (production) scrypt work factor: the point is what
an operator or a court pays, not what the test suite pays. Each command's wall time and CPU
time (user + system, its children included) are printed as min-median-max over the rounds
(default 3) and as the ratio of the median to the median of `evanchor --help` in the same
run: ratios are what compare across machines, and CPU time is what stays put when other
processes load the machine (the wall time then mostly measures the wait for a core).

`--load` runs the whole measurement a second time with another process spinning one core
(`benchkit.core_loaded`), as on a machine that is doing something else.

Run from the repository root: `python benchmarks/one_record_commands.py [--rounds N] [--load]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from benchkit import core_loaded, machine_facts, print_table, report_targets

REPO = Path(__file__).resolve().parents[1]
EVANCHOR = Path(sys.executable).with_name("evanchor")
RECORD = REPO / "examples" / "records" / "collection_case.jsonl"
AGENCY = "91310115MA1K3TQ00E"
COMMANDS = ("--help", "init", "agency new", "agency grant", "submit", "prove", "verify")
TARGETS = {"agency new": 5.0, "prove": 2.5, "verify": 2.5}
"""Most CPU time (median) over `--help`'s that the quiet run may take. CPU, not wall: on a
shared machine the wall time follows everyone else's load. `agency new` derives one scrypt
key (about 0.8 s of one core, on purpose); `prove` (from kept evidence) and `verify`
(offline) reach no chain. None for `init`, `agency grant` and `submit`: they start the
embedded chain and unlock keys."""
ANCHOR_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EVANCHOR_") or key == "EVANCHOR_BENCH"
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass(frozen=True)
class Timing:
    """Wall time, and the CPU time (user + system) of the command and its children: the CPU
    time moves far less with the machine's load than the wall time does."""

    wall: float
    cpu: float


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(*args: str | Path, home: Path | None = None) -> tuple[Timing, str]:
    command = [str(EVANCHOR), *([] if home is None else ["--home", str(home)]), *map(str, args)]
    cpu = _cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(
        command, env=_env(), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return Timing(elapsed, _cpu_of_children() - cpu), done.stdout


@contextlib.contextmanager
def _running_node(home: Path, log: Path) -> Iterator[None]:
    with log.open("ab") as out:
        node = subprocess.Popen(
            [str(EVANCHOR), "--home", str(home), "node", "start"],
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=60)


def _anchored(api_url: str) -> bool:
    try:
        status = requests.get(f"{api_url}/v1/status", timeout=5).json()
    except (requests.RequestException, ValueError):
        return False
    log = status["log"]
    anchoring = status["anchoring"]
    return bool(
        log["unsealed"] == 0
        and log["checkpoints"] > 0
        and anchoring["anchored_checkpoints"] == log["checkpoints"]
    )


def _api_url(home: Path) -> str:
    config = tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))
    return f"http://{config['api']['host']}:{config['api']['port']}"


def one_round(folder: Path, tag: int) -> dict[str, Timing]:
    """Every command once, in a fresh node folder under `folder`; their wall times."""
    times: dict[str, Timing] = {}
    password = folder / "password"
    password.write_text("one-record benchmark password\n")
    home = folder / "node"
    times["--help"], _ = _run("--help")
    times["init"], _ = _run(
        "init",
        "--seal-every",
        "1",
        "--rpc-port",
        str(_free_port()),
        "--api-port",
        str(_free_port()),
        home=home,
    )
    key = folder / "agency.json"
    times["agency new"], out = _run(
        "agency", "new", "-o", key, "--password-file", password, "--json"
    )
    address = json.loads(out)["address"]
    times["agency grant"], _ = _run("agency", "grant", address, "--code", AGENCY, home=home)
    record = json.loads(RECORD.read_text(encoding="utf-8").splitlines()[0])
    one = folder / "one.jsonl"
    one.write_text(json.dumps({**record, "notes": f"one-record benchmark {tag}"}) + "\n")
    times["submit"], out = _run(
        "submit", one, "--key", key, "--key-password-file", password, "--json", home=home
    )
    record_id = json.loads(out)["receipts"][0]["record_id"]
    api_url = _api_url(home)
    with _running_node(home, folder / "node.log"):
        deadline = time.monotonic() + ANCHOR_TIMEOUT
        while not _anchored(api_url):
            if time.monotonic() > deadline:
                raise SystemExit(f"not anchored after {ANCHOR_TIMEOUT:.0f} s; see {folder}")
            time.sleep(0.2)
    bundle = folder / "bundle.json"
    times["prove"], _ = _run("prove", record_id, "-o", bundle, home=home)
    times["verify"], _ = _run("verify", bundle)
    return times


def measure(rounds: int) -> dict[str, list[Timing]]:
    found: dict[str, list[Timing]] = {name: [] for name in COMMANDS}
    for tag in range(rounds):
        with tempfile.TemporaryDirectory(prefix="evanchor-one-record-") as folder:
            for name, seconds in one_round(Path(folder), tag).items():
                found[name].append(seconds)
    return found


def _spread(values: list[float]) -> tuple[str, float]:
    ordered = sorted(values)
    median = statistics.median(ordered)
    return f"{ordered[0]:.2f}-{median:.2f}-{ordered[-1]:.2f}", median


def table(found: dict[str, list[Timing]]) -> dict[str, float]:
    """Prints the table; returns each command's median CPU time over `--help`'s."""
    _, reference = _spread([t.wall for t in found["--help"]])
    _, cpu_reference = _spread([t.cpu for t in found["--help"]])
    ratios: dict[str, float] = {}
    rows = []
    for name in COMMANDS:
        wall, median = _spread([t.wall for t in found[name]])
        cpu, cpu_median = _spread([t.cpu for t in found[name]])
        ratios[name] = cpu_median / cpu_reference
        rows.append(
            (
                f"evanchor {name}",
                wall,
                f"{median / reference:.1f}x",
                cpu,
                f"{ratios[name]:.1f}x",
            )
        )
    print_table(
        ("command", "wall s (min-med-max)", "/ --help", "cpu s (min-med-max)", "/ --help"), rows
    )
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per run (at least 3)")
    parser.add_argument("--load", action="store_true", help="also run with one core loaded")
    args = parser.parse_args()
    for line in machine_facts():
        print(line)
    print(f"{args.rounds} rounds; keystores at the default scrypt work factor")
    print("\nquiet (nothing of this script's besides the command):")
    quiet = table(measure(args.rounds))
    if args.load:
        with core_loaded():
            print("\nwith one core loaded by a spinning process:")
            table(measure(args.rounds))
    passed = report_targets(
        [
            (quiet[name] <= limit, f"{name}: median CPU within {limit:g}x --help's (quiet run)")
            for name, limit in TARGETS.items()
        ]
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
