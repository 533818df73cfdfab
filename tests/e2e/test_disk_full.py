"""The disk-full harness: a real node on a 30 MiB tmpfs, filled through its HTTP API.

The node (embedded chain, `evanchor node start` in a subprocess) keeps its folder on a tmpfs
the test mounts (tests/tmpfs.py); a filler file leaves it a few MiB. Agencies submit signed
records until the log's disk is full, and the test keeps a ledger of every 201 receipt.
Then, in order:

1. the failed write is answered 503 with the store's reason, never 500; `/v1/health` says
   the node is not ok; `node status` says so and exits 1;
2. space is freed, and the node still answers 503: a handle that failed a write is never
   trusted again (store.py, "Failed writes");
3. the node is killed with SIGKILL and restarted: every receipt of the ledger is in the log
   at its index with its leaf hash, new records get new indices (none reused), every
   checkpoint is anchored, and the audit, given the ledger, passes.

Before the store failed closed, step 2 acknowledged records that step 3 then lost, and the
lost indices were handed out again (issue 10).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import requests
from e2e_helpers import (
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    init_node,
    read_jsonl,
    register_agency_directly,
    variant,
    wait_until,
)
from tmpfs import Filler, small_tmpfs

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore, receipt_from_json

DISK_MB = 30
LEAVE_BYTES = 4 * 1024 * 1024
"""Free space the filler leaves on the node's disk: a few thousand records' worth."""
BATCH = 200
MAX_REQUESTS = 2_000
"""Far more requests than fill LEAVE_BYTES: reaching it means the disk never filled."""


def sealed_ones_anchored(status: dict[str, Any]) -> bool:
    anchoring = status["anchoring"]
    return bool(
        status["log"]["checkpoints"] > 0
        and anchoring["pending_checkpoints"] == []
        and anchoring["anchored_checkpoints"] == status["log"]["checkpoints"]
    )


def test_a_full_disk_loses_no_acknowledged_record(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", DISK_MB) as disk:
        node = init_node(
            tmp_path, "node", "--seal-every", "2000", "--seal-after", "600", home_parent=disk
        )
        daemon = node.daemon
        try:
            daemon.start()
            agency = register_agency_directly(node, COLLECTION_AGENCY)
            templates = read_jsonl(COLLECTION_FILE)
            counter = itertools.count()

            def batch() -> list[dict[str, Any]]:
                return [
                    agency.sign(node, variant(templates[n % len(templates)], f"disk-{n}"))
                    for n in itertools.islice(counter, BATCH)
                ]

            filler = Filler(disk, leave=LEAVE_BYTES)
            ledger: list[dict[str, Any]] = []
            refused: requests.Response | None = None
            for _ in range(MAX_REQUESTS):
                response = daemon.post("/v1/records", {"submissions": batch()})
                if response.status_code != 201:
                    refused = response
                    break
                ledger += response.json()["receipts"]
            assert refused is not None, "the disk never filled"
            assert ledger, "the node should have acknowledged records before the disk filled"

            # 1. refused with the store's reason; health and status say so
            assert refused.status_code == 503, refused.text
            reason = refused.json()["error"]["message"]
            assert reason.startswith("log store failed: "), reason
            assert "No space left on device" in reason
            assert reason.endswith("restart the node after freeing space")
            health = requests.get(f"{daemon.api_url}/v1/health", timeout=30)
            assert health.status_code == 503
            assert health.json()["status"] == "failed"
            status = node.cli.run("node", "status", ok=False)
            assert status.returncode == 1, status.stdout
            assert f"NOT ACKNOWLEDGING RECORDS: {reason}" in status.stdout

            # 2. space freed: still refused, nothing acknowledged
            filler.remove()
            again = daemon.post("/v1/records", {"submissions": batch()})
            assert again.status_code == 503, again.text
            assert daemon.get("/v1/status")["health"]["status"] == "failed"

            # 3. SIGKILL, restart: the ledger holds, no index is handed out twice
            daemon.kill9()
            with LogStore(node.home.log_path) as store:
                for receipt in ledger:
                    index = store.index_of(bytes.fromhex(receipt["record_id"]))
                    assert index == receipt["index"], receipt
                    assert store.leaf_hash(index).hex() == receipt["leaf_hash"], receipt
                size_after_crash = store.size
            daemon.start()
            assert requests.get(f"{daemon.api_url}/v1/health", timeout=30).json()["status"] == "ok"
            after = daemon.post("/v1/records", {"submissions": batch()})
            assert after.status_code == 201, after.text
            fresh = after.json()["receipts"]
            assert [r["index"] for r in fresh] == list(
                range(size_after_crash, size_after_crash + BATCH)
            )
            assert not {r["index"] for r in fresh} & {r["index"] for r in ledger}
            wait_until(
                lambda: sealed_ones_anchored(daemon.get("/v1/status")),
                what="every sealed checkpoint anchored after the restart",
                diagnose=daemon.log_tail,
            )
            daemon.stop()

            kept = tmp_path / "ledger.jsonl"
            kept.write_text("".join(json.dumps(r) + "\n" for r in ledger + fresh))
            with LogStore(node.home.log_path) as store:
                report = audit_log(store, receipts=[receipt_from_json(r) for r in ledger + fresh])
                assert report.ok, [str(d) for d in report.discrepancies]
            audited = node.cli.run("audit", "--receipts", kept)
            assert "audit passed" in audited.stdout
            # Every failure was reported as a line, none crashed a thread of the node.
            assert "Traceback" not in daemon.log_path.read_text(), daemon.log_tail(80)
            print(
                f"disk-full harness: {len(ledger)} records acknowledged before the disk filled,"
                f" {len(ledger) + len(fresh)} in the ledger, lost 0, indices reused 0"
            )
        finally:
            daemon.cleanup()
