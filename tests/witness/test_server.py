"""The witness over HTTP (aiohttp test server, real LevelDB state): each refusal's status,
409's content type and body, the monitoring URL, and the status page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from witness_helpers import TestLog

from evanchor.anchor.protocol.note import COSIGNATURE_V1, NoteSigner, open_note
from evanchor.anchor.witness.config import LogEntry, WitnessConfig
from evanchor.anchor.witness.cosigning import Witness
from evanchor.anchor.witness.server import create_witness_app
from evanchor.anchor.witness.state import WitnessState, origin_hash

SIGNER = NoteSigner("court.example/witness", COSIGNATURE_V1, b"\x0b" * 32)
Scenario = Callable[[TestClient[Any, Any], TestLog], Awaitable[None]]


def run_witness(tmp_path: Path, scenario: Scenario) -> None:
    log = TestLog()
    config = WitnessConfig(name=SIGNER.name, logs=(LogEntry(origin=log.origin, keys=(log.vkey,)),))

    async def main() -> None:
        with (
            WitnessState(tmp_path / "state", create=True) as state,
            ThreadPoolExecutor(max_workers=1) as executor,
        ):
            app = create_witness_app(Witness(config, SIGNER, state), executor)
            async with TestClient(TestServer(app)) as client:
                await scenario(client, log)

    asyncio.run(main())


def test_statuses_follow_tlog_witness(tmp_path: Path) -> None:
    async def scenario(client: TestClient[Any, Any], log: TestLog) -> None:
        first = await client.post("/add-checkpoint", data=log.request(0, 4))
        assert first.status == 200
        lines = await first.text()
        assert lines.startswith("\u2014 court.example/witness ")
        assert lines.count("\n") == 1
        opened = open_note(log.checkpoint(4) + lines.encode(), [SIGNER.verifier])
        assert opened.verified[0][1].cosignature_timestamp() > 0

        conflict = await client.post("/add-checkpoint", data=log.request(0, 6))
        assert (conflict.status, await conflict.text()) == (409, "4\n")
        assert conflict.headers["Content-Type"] == "text/x.tlog.size"

        stranger = TestLog(origin="example.com/unknown")
        assert (await client.post("/add-checkpoint", data=stranger.request(0, 2))).status == 404
        impostor = TestLog(origin=log.origin, seed=b"\x01" * 32)
        assert (await client.post("/add-checkpoint", data=impostor.request(0, 2))).status == 403
        bad_proof = log.request(4, 6, proof_nodes=[b"\x00" * 32] * len(log.proof(4, 6)))
        assert (await client.post("/add-checkpoint", data=bad_proof)).status == 422
        assert (await client.post("/add-checkpoint", data=b"old x\n\n")).status == 400
        huge = b"old 0\n\n" + b"x" * 70_000
        assert (await client.post("/add-checkpoint", data=huge)).status in (400, 413)

        assert (await client.post("/add-checkpoint", data=log.request(4, 6))).status == 200
        served = await client.get(f"/{origin_hash(log.origin).hex()}/checkpoint")
        assert served.status == 200
        note = (await served.text()).encode()
        opened = open_note(note, [log.signer.verifier, SIGNER.verifier])
        assert opened.text == log.checkpoint(6).decode().split("\n\n")[0] + "\n"
        assert len(opened.verified) == 2
        assert (await client.get(f"/{'0' * 64}/checkpoint")).status == 404
        assert (await client.get("/not-a-hash/checkpoint")).status == 404

        status = await (await client.get("/status")).json()
        assert status["verifier_key"] == str(SIGNER.verifier)
        assert status["logs"][0]["latest"]["size"] == 6
        assert status["logs"][0]["refused"] == 1

    run_witness(tmp_path, scenario)
