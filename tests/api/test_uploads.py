"""Staged uploads (node/daemon/uploads.py) on a real aiohttp server over a real LevelDB log.

Each refusal is checked for what it leaves: nothing in the log, nothing staged (or the
upload as it was before the refused chunk).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.signing import SigningDomain, address_of
from evanchor.node.daemon.api import create_api_app
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import ChainConfig, ChainMode, NodeConfig
from evanchor.node.daemon.openapi import OPENAPI
from evanchor.node.daemon.service import NodeService
from evanchor.node.daemon.staging import (
    MIN_FREE_BYTES,
    StagedRecord,
    StagingLimits,
    UploadStaging,
    decode_chunk,
    encode_chunk,
)
from evanchor.node.daemon.upload_client import (
    LineTooLarge,
    UploadTooLarge,
    plan_chunks,
    submit_staged,
)
from evanchor.node.daemon.upload_models import CHUNK_CONTENT_TYPE
from evanchor.node.daemon.uploads import add_upload_routes

from samples import numbered_record, prepared

AGENCY_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
STRANGER_KEY = bytes.fromhex("22" * 32)
CHAIN = ChainConfig(
    mode=ChainMode.EXTERNAL,
    rpc_url="http://127.0.0.1:1",
    chain_id=7107,
    contract="0x" + "ab" * 20,
    writer="0x" + "cd" * 20,
)
DOMAIN = SigningDomain(CHAIN.chain_id, CHAIN.contract)
AGENCY = numbered_record(0)["agency"]
TOKEN = "operator-token-for-the-upload-tests-0123456789"
NDJSON = {"Content-Type": CHUNK_CONTENT_TYPE}
LIMITS = StagingLimits(max_upload_bytes=1 << 20, max_staging_bytes=4 << 20, expiry_seconds=60)

Client = TestClient[Any, Any]
Scenario = Callable[[Client, UploadStaging], Awaitable[None]]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def run_uploads(
    tmp_path: Path,
    scenario: Scenario,
    *,
    limits: StagingLimits = LIMITS,
    clock: Clock | None = None,
    free_bytes: int | None = None,
    signed: bool = True,
) -> LogStore:
    """Run `scenario` against a node's API with uploads staged in tmp_path/staging; returns
    the log, reopened after the node stopped."""

    tmp_path.mkdir(parents=True, exist_ok=True)

    async def main() -> None:
        with (
            LogStore(tmp_path / "log", create=True) as store,
            ThreadPoolExecutor(max_workers=2) as executor,
        ):
            committer = GroupCommitter(store, executor)
            committer.start()
            service = NodeService(
                store,
                NodeConfig(chain=CHAIN if signed else None),
                committer,
                domain=DOMAIN if signed else None,
                agency_of={address_of(AGENCY_KEY): AGENCY}.get if signed else None,
            )
            staging = UploadStaging(
                tmp_path / "staging",
                limits,
                clock=clock or Clock(),
                free_bytes=None if free_bytes is None else (lambda _: free_bytes),
            )
            app = create_api_app(service, operator_token=TOKEN)
            add_upload_routes(app, staging)
            async with TestClient(TestServer(app)) as client:
                await scenario(client, staging)
            await committer.stop()

    asyncio.run(main())
    return LogStore(tmp_path / "log")


def line(n: int, key: bytes = AGENCY_KEY) -> bytes:
    record = numbered_record(n, case=f"U{n % 3}")
    return json.dumps(sign_record(record, key, DOMAIN.separator)).encode() + b"\n"


def body(first: int, count: int, **special: bytes) -> bytes:
    """Lines `first`..`first+count-1`, each a signed record unless `special` replaces it
    (keys `l<number>`)."""
    return b"".join(special.get(f"l{n}", line(n)) for n in range(first, first + count))


async def create(client: Client) -> str:
    response = await client.post("/v1/uploads")
    assert response.status == 201, await response.text()
    answer = await response.json()
    assert answer["max_chunk_bytes"] == 16 * 1024 * 1024
    upload_id: str = answer["upload_id"]
    return upload_id


async def put(
    client: Client, upload_id: str, seq: int, data: bytes, **params: int
) -> tuple[int, Any]:
    response = await client.put(
        f"/v1/uploads/{upload_id}/chunks/{seq}", data=data, headers=NDJSON, params=params
    )
    return response.status, await response.json()


def staged_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "staging").rglob("*") if p.is_file())


def test_chunks_then_commit_append_everything_in_line_order(tmp_path: Path) -> None:
    async def scenario(client: Client, staging: UploadStaging) -> None:
        upload_id = await create(client)
        status, answer = await put(client, upload_id, 0, body(1, 30))
        assert status == 201, answer
        assert (answer["records"], answer["first_line"], answer["last_line"]) == (30, 1, 30)
        status, answer = await put(client, upload_id, 1, body(31, 20))
        assert status == 201, answer
        assert (answer["first_line"], answer["upload_records"]) == (31, 50)
        progress = await (await client.get(f"/v1/uploads/{upload_id}")).json()
        assert (progress["chunks"], progress["records"], progress["next_line"]) == (2, 50, 51)
        assert len(staged_files(tmp_path)) == 2
        # nothing of the upload is in the log before the commit
        assert (await (await client.get("/v1/health")).json())["log_size"] == 0
        response = await client.post(f"/v1/uploads/{upload_id}/commit")
        assert response.status == 201, await response.text()
        receipts = (await response.json())["receipts"]
        assert [r["index"] for r in receipts] == list(range(50))
        assert staged_files(tmp_path) == []
        gone = await client.post(f"/v1/uploads/{upload_id}/commit")
        assert gone.status == 404
        assert "nothing of it is in the log" in (await gone.json())["error"]["message"]

    store = run_uploads(tmp_path, scenario)
    with store:
        assert store.size == 50
        assert json.loads(store.record(0).canonical)["operator_id"] == "op-1"
        assert json.loads(store.record(49).canonical)["operator_id"] == "op-50"


def test_a_bad_line_refuses_its_chunk_naming_the_line_and_the_field(tmp_path: Path) -> None:
    async def scenario(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        assert (await put(client, upload_id, 0, body(1, 10)))[0] == 201
        cases = {
            "signature": line(17, STRANGER_KEY),
            "record.channel": line(17).replace(b'"phone"', b'"pigeon"'),
        }
        for field, bad in cases.items():
            status, answer = await put(client, upload_id, 1, body(11, 10, l17=bad))
            assert status == 400, answer
            error = answer["error"]
            assert error["line"] == 17
            assert error["field"] == field
            assert error["message"].startswith(f"line 17: {field}: ")
            assert error["message"] == f"line 17: {error['reason']}"
        status, answer = await put(client, upload_id, 1, body(11, 10, l13=b"{not json\n"))
        assert status == 400
        assert answer["error"]["line"] == 13
        progress = await (await client.get(f"/v1/uploads/{upload_id}")).json()
        assert (progress["chunks"], progress["records"]) == (1, 10)  # as before the refusals

    with run_uploads(tmp_path, scenario) as store:
        assert store.size == 0


def test_line_numbers_follow_first_line_and_count_blank_lines(tmp_path: Path) -> None:
    chunks = list(plan_chunks([(3, b"{}"), (4, b"{}"), (9, b"{}")], max_bytes=1000))
    assert [(c.first_line, c.body, c.records) for c in chunks] == [(3, b"{}\n{}\n\n\n\n\n{}\n", 3)]
    split = list(plan_chunks([(1, b"1" * 10), (2, b"2" * 10), (5, b"3" * 10)], max_bytes=23))
    assert [(c.first_line, c.records) for c in split] == [(1, 2), (5, 1)]
    assert all(len(c.body) <= 23 for c in split)
    with pytest.raises(LineTooLarge) as refused:
        list(plan_chunks([(1, b"1"), (7, b"7" * 23)], max_bytes=23))
    assert (refused.value.line, refused.value.size, refused.value.limit) == (7, 23, 23)

    async def scenario(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        data = line(100) + b"\n  \n" + line(101, STRANGER_KEY)
        status, answer = await put(client, upload_id, 0, data, first_line=40)
        assert status == 400
        assert answer["error"]["line"] == 43  # 40, two blank lines, then the stranger's

    run_uploads(tmp_path, scenario).close()


def test_an_abandoned_or_refused_upload_leaves_nothing(tmp_path: Path) -> None:
    async def scenario(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        assert (await put(client, upload_id, 0, body(1, 5)))[0] == 201
        assert staged_files(tmp_path)
        response = await client.delete(f"/v1/uploads/{upload_id}")
        assert response.status == 204
        assert staged_files(tmp_path) == []
        assert (await put(client, upload_id, 1, body(6, 5)))[0] == 404
        assert (await client.post(f"/v1/uploads/{upload_id}/commit")).status == 404
        empty = await create(client)
        assert (await client.post(f"/v1/uploads/{empty}/commit")).status == 400

    with run_uploads(tmp_path, scenario) as store:
        assert store.size == 0


def test_chunks_go_in_order_and_a_retry_of_the_last_is_recognised(tmp_path: Path) -> None:
    async def scenario(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        assert (await put(client, upload_id, 1, body(1, 3)))[0] == 409
        chunk = body(1, 3)
        first = await put(client, upload_id, 0, chunk)
        again = await put(client, upload_id, 0, chunk)
        assert first[0] == 201
        assert again == (200, first[1])
        assert (await put(client, upload_id, 0, body(4, 3)))[0] == 409
        wrong = await client.put(
            f"/v1/uploads/{upload_id}/chunks/1",
            data=body(4, 3),
            headers={"Content-Type": "text/plain"},
        )
        assert wrong.status == 415
        response = await client.post(f"/v1/uploads/{upload_id}/commit")
        assert len((await response.json())["receipts"]) == 3

    with run_uploads(tmp_path, scenario) as store:
        assert store.size == 3


def test_a_bad_chunk_number_or_first_line_is_a_400_naming_it(tmp_path: Path) -> None:
    async def scenario(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        for target, name in [
            (f"/v1/uploads/{upload_id}/chunks/x", "seq"),
            (f"/v1/uploads/{upload_id}/chunks/%C2%B2", "seq"),
            (f"/v1/uploads/{upload_id}/chunks/0?first_line=%C2%B2", "first_line"),
            (f"/v1/uploads/{upload_id}/chunks/0?first_line=0", "first_line"),
        ]:
            refused = await client.put(target, data=body(1, 3), headers=NDJSON)
            assert refused.status == 400, target
            assert (await refused.json())["error"]["message"].startswith(f"{name}: "), target
        assert (await put(client, upload_id, 0, body(1, 3)))[0] == 201  # nothing was staged
        response = await client.post(f"/v1/uploads/{upload_id}/commit")
        assert len((await response.json())["receipts"]) == 3

    with run_uploads(tmp_path, scenario) as store:
        assert store.size == 3


def test_staging_is_bounded_with_a_clear_refusal(tmp_path: Path) -> None:
    small = StagingLimits(max_upload_bytes=4000, max_staging_bytes=6000, expiry_seconds=60)

    async def scenario(client: Client, _: UploadStaging) -> None:
        one = await create(client)
        chunk = body(1, 6)
        assert 2000 < len(chunk) < 4000, len(chunk)
        assert (await put(client, one, 0, chunk))[0] == 201
        status, answer = await put(client, one, 1, body(7, 6))
        assert status == 413
        assert "over its limit of 4000" in answer["error"]["message"]
        two = await create(client)
        assert (await put(client, two, 0, body(20, 6)))[0] == 201
        three = await create(client)
        status, answer = await put(client, three, 0, body(40, 6))
        assert status == 507
        assert "staged uploads would hold" in answer["error"]["message"]

    with run_uploads(tmp_path / "a", scenario, limits=small) as store:
        assert store.size == 0

    async def disk(client: Client, _: UploadStaging) -> None:
        upload_id = await create(client)
        status, answer = await put(client, upload_id, 0, body(1, 2))
        assert status == 507
        assert "kept for the log" in answer["error"]["message"]
        assert staged_files(tmp_path / "b") == []

    run_uploads(tmp_path / "b", disk, free_bytes=MIN_FREE_BYTES + 10).close()


def test_an_idle_upload_expires_and_its_files_are_deleted(tmp_path: Path) -> None:
    clock = Clock()

    async def scenario(client: Client, staging: UploadStaging) -> None:
        upload_id = await create(client)
        assert (await put(client, upload_id, 0, body(1, 4)))[0] == 201
        clock.now += LIMITS.expiry_seconds - 1
        assert (await put(client, upload_id, 1, body(5, 4)))[0] == 201  # the clock restarts
        clock.now += LIMITS.expiry_seconds - 1
        assert (await client.get(f"/v1/uploads/{upload_id}")).status == 200
        clock.now += 2
        assert (await client.post(f"/v1/uploads/{upload_id}/commit")).status == 404
        assert staged_files(tmp_path)  # refused at once, deleted at the next sweep
        await create(client)
        assert staged_files(tmp_path) == []
        assert staging.open_uploads == 1

    with run_uploads(tmp_path, scenario, clock=clock) as store:
        assert store.size == 0


def test_a_restart_abandons_every_upload(tmp_path: Path) -> None:
    left = tmp_path / "staging" / ("ab" * 16)
    left.mkdir(parents=True)
    (left / "000000.chunk").write_bytes(b"left by a killed node")
    other = tmp_path / "staging" / "not-an-upload"
    other.write_text("kept")
    UploadStaging(tmp_path / "staging", LIMITS)
    assert not left.exists()
    assert other.exists()


def test_a_log_only_node_takes_uploads_from_the_operator_only(tmp_path: Path) -> None:
    async def scenario(client: Client, _: UploadStaging) -> None:
        assert (await client.post("/v1/uploads")).status == 401
        operator = {"Authorization": f"Bearer {TOKEN}"}
        response = await client.post("/v1/uploads", headers=operator)
        upload_id = (await response.json())["upload_id"]
        bare = b"".join(json.dumps(numbered_record(n)).encode() + b"\n" for n in range(5))
        chunk = await client.put(
            f"/v1/uploads/{upload_id}/chunks/0", data=bare, headers={**NDJSON, **operator}
        )
        assert chunk.status == 201, await chunk.text()
        commit = await client.post(f"/v1/uploads/{upload_id}/commit", headers=operator)
        assert commit.status == 201

    with run_uploads(tmp_path, scenario, signed=False) as store:
        assert store.size == 5


def test_staged_chunks_round_trip() -> None:
    records = [StagedRecord(n + 1, prepared(n)) for n in range(3)]
    signed_record = StagedRecord(
        9, prepared(5).__class__(**{**vars(prepared(5)), "signature": b"\x01" * 65})
    )
    assert list(decode_chunk(encode_chunk([*records, signed_record]))) == [*records, signed_record]


def test_the_openapi_describes_the_upload_endpoints() -> None:
    paths = OPENAPI["paths"]
    assert {"put"} <= set(paths["/v1/uploads/{upload_id}/chunks/{seq}"])
    assert {"get", "delete"} <= set(paths["/v1/uploads/{upload_id}"])
    created = paths["/v1/uploads"]["post"]["responses"]["201"]["content"]["application/json"]
    schema = OPENAPI["components"]["schemas"][
        created["schema"]["$ref"].removeprefix("#/components/schemas/")
    ]
    assert "max_chunk_bytes" in schema["properties"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.binary(min_size=1, max_size=40).map(lambda b: b.hex())),
        min_size=1,
        max_size=40,
    ),
    st.integers(82, 400),
)
def test_planned_chunks_keep_every_line_at_its_number_within_the_byte_limit(
    steps: list[tuple[int, str]], max_bytes: int
) -> None:
    """Against a plain reference: numbering each chunk's body lines from its `first_line`
    gives back exactly the (line, bytes) pairs sent, in order; no body passes `max_bytes`."""
    lines, number = [], 0
    for gap, text in steps:
        number += gap
        lines.append((number, text.encode()))
    got = []
    for chunk in plan_chunks(lines, max_bytes):
        assert len(chunk.body) <= max_bytes
        assert chunk.body.endswith(b"\n")
        numbered = enumerate(chunk.body[:-1].split(b"\n"), start=chunk.first_line)
        got += [(n, content) for n, content in numbered if content]
    assert got == lines


def test_the_client_refuses_a_file_over_the_upload_limit_before_sending(tmp_path: Path) -> None:
    small = StagingLimits(max_upload_bytes=4000, max_staging_bytes=1 << 20, expiry_seconds=60)
    lines = [(n, line(n).rstrip(b"\n")) for n in range(1, 11)]

    async def scenario(client: Client, staging: UploadStaging) -> None:
        url = str(client.make_url("")).rstrip("/")
        loop = asyncio.get_running_loop()
        with pytest.raises(UploadTooLarge) as refused:
            await loop.run_in_executor(None, lambda: submit_staged(url, lines))
        assert refused.value.limit == 4000
        assert staging.open_uploads == 0  # abandoned at once
        answer = await loop.run_in_executor(None, lambda: submit_staged(url, lines[:5]))
        assert [r["index"] for r in answer.receipts] == [0, 1, 2, 3, 4]

    with run_uploads(tmp_path, scenario, limits=small) as store:
        assert store.size == 5
