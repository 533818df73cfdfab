"""A real anchoring node for the audit tests, built through the real commands.

`build_anchored_node` makes a node folder with `evanchor init` (embedded chain), two agency
keys registered with `evanchor agency new/grant`, a collection case and an auction lot
submitted with `evanchor submit --key` (appended locally: no node runs) and sealed as two
checkpoints, anchors both by running the node daemon until the chain has confirmed them,
stops it, then submits and seals a third batch that stays pending. It is built once per
run; `anchored_copy` gives each test its own copy to tamper with.

This folder has no conftest.py on purpose: a folder's conftest holds the module name
`conftest` while the folder is collected, and test modules elsewhere import helpers with
`from samples import ...`. Each test module declares its `built` fixture in two lines.
"""

from __future__ import annotations

import json
import shutil
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import plyvel
import pytest
import requests
from click.testing import CliRunner, Result

from evanchor.cli.main import cli
from evanchor.node.daemon.compose import Composition
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.passwords import password_from_file
from evanchor.node.daemon.run import NodeThread

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "records"
COLLECTOR_CODE = "91310115MA1K3TQ00E"
AUCTIONEER_CODE = "91350100M000100Y43"
ENV = {"EVANCHOR_KEYSTORE_SCRYPT_N": "4096", "EVANCHOR_PASSWORD_FILE": "", "EVANCHOR_PASSWORD": ""}
"""Fast keystores (tests only); no password file from the caller's environment."""
ANCHOR_TIMEOUT_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(home: Path, *args: str) -> Result:
    """`evanchor --home HOME ARGS…` in process, as a user would type it."""
    return CliRunner(env=ENV).invoke(cli, ["--home", str(home), *args])


def ok(home: Path, *args: str) -> Result:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


@contextmanager
def leveldb(folder: Path) -> Iterator[plyvel.DB]:
    db = plyvel.DB(str(folder))
    try:
        yield db
    finally:
        db.close()


@dataclass(frozen=True)
class AgencyKey:
    address: str
    keystore: Path


@dataclass(frozen=True)
class Built:
    home: Path
    password: Path
    """The agency keystores' password file."""
    collector: AgencyKey
    auctioneer: AgencyKey
    sizes: tuple[int, int, int]
    """Log size at each of the three checkpoints; the first two are anchored."""


def new_agency(home: Path, keystore: Path, password: Path) -> AgencyKey:
    result = ok(
        home, "agency", "new", "-o", str(keystore), "--password-file", str(password), "--json"
    )
    return AgencyKey(json.loads(result.output)["address"], keystore)


def submit(home: Path, file: Path, agency: AgencyKey, password: Path) -> None:
    ok(
        home,
        "submit",
        str(file),
        "--key",
        str(agency.keystore),
        "--key-password-file",
        str(password),
    )


def collector_batch(folder: Path, count: int, case: str = "C-2026-000200") -> Path:
    """`count` new collection records of the collector's agency, as a JSONL file."""
    lines = []
    for n in range(count):
        record = {
            "kind": "collection_checkpoint",
            "case_id": case,
            "agency": COLLECTOR_CODE,
            "debtor_ref": "dbt:5e61a0b2c4",
            "event": "call",
            "occurred_at": f"2026-11-20T10:{n:02d}:00+08:00",
            "channel": "phone",
            "operator_id": f"op-{9000 + n}",
        }
        lines.append(json.dumps(record) + "\n")
    path = folder / f"{case}.jsonl"
    path.write_text("".join(lines))
    return path


def log_size(home: Path) -> int:
    with NodeHome(home).open_log() as store:
        return store.size


@contextmanager
def running_node(home: Path, password: Path | None = None) -> Iterator[str]:
    """The node daemon (chain, log, batcher, anchorer, API) on a thread; yields its API URL.

    `password` unlocks the node's key (default: the one `init` generated)."""
    node_home = NodeHome(home)
    unlocking = password_from_file(password or node_home.generated_password)
    composition = Composition(node_home, unlocking)
    node = NodeThread(
        home=node_home,
        password=unlocking,
        make_service=composition.make_service,
        make_anchorer=composition.make_anchorer,
    )
    addresses = node.start()
    try:
        yield addresses.api
    finally:
        node.stop()


def wait_until_anchored(api: str) -> list[dict[str, Any]]:
    """Poll the node's checkpoints until every one is confirmed on chain (bounded)."""
    deadline = time.monotonic() + ANCHOR_TIMEOUT_SECONDS
    while True:
        checkpoints: list[dict[str, Any]] = requests.get(f"{api}/v1/checkpoints", timeout=5).json()
        if checkpoints and all(
            (c.get("anchor") or {}).get("status") == "confirmed" for c in checkpoints
        ):
            return checkpoints
        if time.monotonic() > deadline:
            raise AssertionError(f"checkpoints not anchored in time: {checkpoints}")
        time.sleep(0.1)


def build_anchored_node(folder: Path) -> Built:
    home = folder / "node"
    ok(
        home,
        "init",
        "--rpc-port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        "--seal-after",
        "3600",
    )
    password = folder / "agency-password"
    password.write_text("agency password\n")
    collector = new_agency(home, folder / "collector.json", password)
    auctioneer = new_agency(home, folder / "auctioneer.json", password)
    ok(home, "agency", "grant", collector.address, "--code", COLLECTOR_CODE)
    ok(home, "agency", "grant", auctioneer.address, "--code", AUCTIONEER_CODE)

    submit(home, EXAMPLES / "collection_case.jsonl", collector, password)
    ok(home, "seal")
    first = log_size(home)
    submit(home, EXAMPLES / "auction_lot.jsonl", auctioneer, password)
    ok(home, "seal")
    second = log_size(home)
    with running_node(home) as api:
        wait_until_anchored(api)

    submit(home, collector_batch(folder, 3), collector, password)
    ok(home, "seal")
    return Built(home, password, collector, auctioneer, (first, second, log_size(home)))


def audit_json(home: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """(exit code, report) of `evanchor audit --json`."""
    result = run(home, "audit", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report


def named(report: dict[str, Any]) -> dict[str, list[str]]:
    """kind -> where, for every discrepancy of a JSON report."""
    found: dict[str, list[str]] = {}
    for discrepancy in report["discrepancies"]:
        found.setdefault(discrepancy["kind"], []).append(discrepancy["where"])
    return found


_template: list[Built] = []


def anchored_copy(factory: pytest.TempPathFactory, folder: Path) -> Built:
    """A private copy, in `folder`, of the anchored node (built on first use in the run)."""
    if not _template:
        _template.append(build_anchored_node(factory.mktemp("audit-template")))
    template = _template[0]
    source = template.home.parent
    copy = folder / "copy"
    shutil.copytree(source, copy)

    def moved(path: Path) -> Path:
        return copy / path.relative_to(source)

    return replace(
        template,
        home=moved(template.home),
        password=moved(template.password),
        collector=AgencyKey(template.collector.address, moved(template.collector.keystore)),
        auctioneer=AgencyKey(template.auctioneer.address, moved(template.auctioneer.keystore)),
    )
