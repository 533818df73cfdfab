"""kill -9 of the node during a staged upload and during its commit: the log holds all of
the upload or none of it, never a part, and a restart leaves no upload to commit again.

Real processes: the node daemon (`evanchor node start`, embedded chain) killed with SIGKILL;
the test sends the upload over HTTP (node/daemon/upload_client.py) and, after each kill,
opens the log itself (the dead node holds no lock) and looks up every record of the upload.
The kills during the commit land at spread delays after the commit was sent; which outcome
each gets is the node's, and both are allowed: a part is not.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import Agency, Node, node_factory, register_agency_directly

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.commitment import canonical_record_bytes, record_id
from evanchor.node.daemon.upload_client import encode_lines, plan_chunks
from evanchor.node.daemon.upload_models import CHUNK_CONTENT_TYPE

from samples import numbered_record

AGENCY = numbered_record(0)["agency"]
RECORDS = 6000
CHUNK_BYTES = 1024 * 1024  # several chunks per upload
COMMIT_KILL_DELAYS = (0.0, 0.2, 0.6)
"""Seconds after the commit is sent: spread over the commit (reading the staged chunks, the
one batch write) and, for the last, possibly after it."""


@pytest.fixture
def node_and_agency(tmp_path: Path) -> Iterator[tuple[Node, Agency]]:
    with node_factory("embedded", tmp_path) as make:
        node = make("node")
        node.daemon.start()
        yield node, register_agency_directly(node, AGENCY)


def signed_lines(node: Node, agency: Agency, round_: int) -> tuple[list[tuple[int, bytes]], Any]:
    records = [numbered_record(round_ * RECORDS + n, case=f"K-{n % 11}") for n in range(RECORDS)]
    envelopes = [agency.sign(node, record) for record in records]
    ids = [record_id(canonical_record_bytes(record)) for record in records]
    return encode_lines(list(enumerate(envelopes, start=1))), ids


def start_upload(node: Node, lines: list[tuple[int, bytes]]) -> str:
    api = node.daemon.api_url
    upload_id: str = requests.post(f"{api}/v1/uploads", timeout=30).json()["upload_id"]
    for seq, chunk in enumerate(plan_chunks(lines, CHUNK_BYTES)):
        response = requests.put(
            f"{api}/v1/uploads/{upload_id}/chunks/{seq}",
            data=chunk.body,
            params={"first_line": chunk.first_line},
            headers={"Content-Type": CHUNK_CONTENT_TYPE},
            timeout=60,
        )
        assert response.status_code == 201, response.text
    return upload_id


def present(node: Node, ids: list[bytes]) -> int:
    """How many records of `ids` are in the log (the node being dead); the log audits
    clean (a seal leaf may have been added meanwhile: the size is not compared)."""
    with LogStore(node.home.log_path) as store:
        found = sum(1 for one in ids if store.index_of(one) is not None)
        report = audit_log(store)
        assert report.ok, [str(d) for d in report.discrepancies]
        return found


def test_kill_9_mid_upload_leaves_nothing_and_no_upload(
    node_and_agency: tuple[Node, Agency],
) -> None:
    node, agency = node_and_agency
    lines, ids = signed_lines(node, agency, 0)
    upload_id = start_upload(node, lines[: RECORDS // 2])
    node.daemon.kill9()
    assert present(node, ids) == 0
    node.daemon.start()
    gone = requests.post(f"{node.daemon.api_url}/v1/uploads/{upload_id}/commit", timeout=30)
    assert gone.status_code == 404
    assert not [p for p in node.home.staging_path.iterdir() if p.is_dir()]


def test_kill_9_mid_commit_leaves_all_or_none(node_and_agency: tuple[Node, Agency]) -> None:
    node, agency = node_and_agency
    outcomes = []
    for round_, delay in enumerate(COMMIT_KILL_DELAYS, start=1):
        lines, ids = signed_lines(node, agency, round_)
        upload_id = start_upload(node, lines)
        url = f"{node.daemon.api_url}/v1/uploads/{upload_id}/commit"
        sent = threading.Event()

        def commit(url: str = url, sent: threading.Event = sent) -> None:
            sent.set()
            with contextlib.suppress(requests.RequestException):  # killed under it
                requests.post(url, timeout=120)

        committer = threading.Thread(target=commit, daemon=True)
        committer.start()
        sent.wait(10)
        time.sleep(delay)
        node.daemon.kill9()
        committer.join(30)
        found = present(node, ids)
        assert found in (0, RECORDS), f"round {round_}: {found} of {RECORDS} records appended"
        outcomes.append("all" if found else "none")
        node.daemon.start()
        gone = requests.post(url, timeout=30)
        assert gone.status_code == 404  # no upload survives to be committed twice
    print(f"kill -9 during the commit, outcomes by delay {COMMIT_KILL_DELAYS}: {outcomes}")
