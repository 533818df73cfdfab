"""Who may read what through the API (node/daemon/access.py), on a real aiohttp server.

Reads of records and bundles: the operator token reads everything; an agency's signed
request reads its own records and cases and nothing else (others' look "not found"); a
full 64-hex record id reads that record; a prefix without credentials is 401. Credentials
that do not check out are refused, never ignored. POST bodies must say they are JSON (415).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from eth_account import Account
from eth_account.messages import encode_typed_data
from test_api_http import (
    AGENCY,
    AGENCY_KEY,
    DOMAIN,
    OPERATOR,
    STRANGER_KEY,
    TOKEN,
    run_api,
)

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.signing import address_of
from evanchor.node.daemon.access import (
    MAX_REQUEST_AGE_SECONDS,
    REQUEST_TYPE,
    request_digest,
    request_signer,
    sign_request,
    signed_request_headers,
)
from evanchor.node.daemon.openapi import OPENAPI
from evanchor.node.daemon.service import NodeService

from samples import numbered_record

OTHER_KEY = bytes.fromhex("33" * 32)
OTHER_AGENCY = "91310115MA1K3TQ00E"
REGISTRY = {address_of(AGENCY_KEY): AGENCY, address_of(OTHER_KEY): OTHER_AGENCY}


def submission(n: int, *, key: bytes = AGENCY_KEY, agency: str = AGENCY, case: str = "K1") -> Any:
    record = {**numbered_record(n, case=case), "agency": agency}
    return sign_record(record, key, DOMAIN.separator)


def signed_get(key: bytes, path: str, *, now: float | None = None) -> dict[str, str]:
    return signed_request_headers(key, DOMAIN, "GET", path, now=now)


async def submit(client: TestClient[Any, Any], items: list[Any]) -> list[str]:
    response = await client.post("/v1/records", json={"submissions": items})
    assert response.status == 201, await response.text()
    return [r["record_id"] for r in (await response.json())["receipts"]]


async def status_and_message(response: Any) -> tuple[int, str]:
    body = await response.json()
    return response.status, body.get("error", {}).get("message", "")


def test_a_prefix_needs_credentials_a_full_id_does_not(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        (record_id,) = await submit(client, [submission(1)])
        for path in (f"/v1/records/{record_id[:12]}", f"/v1/records/{record_id[:12]}/bundle"):
            response = await client.get(path)
            status, message = await status_and_message(response)
            assert status == 401, message
            assert "needs the operator token" in message
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        response = await client.get(f"/v1/records/{record_id}")
        assert response.status == 200
        assert (await response.json())["record_id"] == record_id
        # The bundle is refused for what it is (not anchored yet), not for who asks.
        assert (await client.get(f"/v1/records/{record_id.upper()}/bundle")).status == 409
        response = await client.get(f"/v1/records/{record_id[:12]}", headers=OPERATOR)
        assert response.status == 200

    run_api(store, scenario, registry=REGISTRY)


def test_credentials_that_do_not_check_out_are_refused(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        (record_id,) = await submit(client, [submission(1)])
        path = f"/v1/records/{record_id}"
        fresh = signed_get(AGENCY_KEY, path)
        cases = {
            "another token": ({"Authorization": "Bearer " + "x" * 40}, "not the node's operator"),
            "another scheme": ({"Authorization": f"Basic {TOKEN}"}, "not the node's operator"),
            "a stale request": (
                signed_get(AGENCY_KEY, path, now=time.time() - MAX_REQUEST_AGE_SECONDS - 5),
                "is more than 300 s from the node's clock",
            ),
            "a signature over another path": (
                signed_get(AGENCY_KEY, path + "/bundle"),
                "is not a registered agency key",
            ),
            "an unregistered key": (signed_get(STRANGER_KEY, path), "not a registered agency"),
            "half a signed request": (
                {"X-Evanchor-Timestamp": fresh["X-Evanchor-Timestamp"]},
                "needs X-Evanchor-Timestamp and X-Evanchor-Signature",
            ),
            "a signature that is not hex": (
                {**fresh, "X-Evanchor-Signature": "0xzz"},
                "X-Evanchor-Signature:",
            ),
        }
        for name, (headers, fragment) in cases.items():
            status, message = await status_and_message(await client.get(path, headers=headers))
            assert status == 401, (name, message)
            assert fragment in message, (name, message)

    run_api(store, scenario, registry=REGISTRY)


def test_an_agency_reads_its_own_records_and_cases_only(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        own, other = await submit(
            client,
            [
                submission(1, case="OWN"),
                submission(2, key=OTHER_KEY, agency=OTHER_AGENCY, case="SHARED"),
            ],
        )
        await submit(client, [submission(3, case="SHARED")])
        path = f"/v1/records/{own[:10]}"
        response = await client.get(path, headers=signed_get(AGENCY_KEY, path))
        assert response.status == 200, await response.text()
        path = f"/v1/records/{other[:10]}"
        status, message = await status_and_message(
            await client.get(path, headers=signed_get(AGENCY_KEY, path))
        )
        assert (status, message) == (404, f"no record {other[:10]} of agency {AGENCY} in this log")
        response = await client.get(path, headers=signed_get(OTHER_KEY, path))
        assert response.status == 200

        path = "/v1/cases/collection/OWN/bundle"
        assert (await client.get(path)).status == 401
        response = await client.get(path, headers=signed_get(AGENCY_KEY, path))
        assert response.status == 409  # let through; the case is not anchored yet
        assert (await client.get(path, headers=signed_get(OTHER_KEY, path))).status == 404
        path = "/v1/cases/collection/SHARED/bundle"  # records of two agencies
        assert (await client.get(path, headers=signed_get(AGENCY_KEY, path))).status == 404
        assert (await client.get(path, headers=OPERATOR)).status == 409

    run_api(store, scenario, registry=REGISTRY)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/records", {"Content-Type": "text/plain"}),
        ("/v1/records", {}),
        ("/v1/verify", {"Content-Type": "application/x-www-form-urlencoded"}),
    ],
)
def test_a_post_that_is_not_json_is_refused_with_415(
    store: LogStore, path: str, headers: dict[str, str]
) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        body = b'{"submissions": []}'
        status, message = await status_and_message(
            await client.post(path, data=body, headers=headers)
        )
        assert status == 415
        assert message.startswith("Content-Type must be application/json, got ")

    run_api(store, scenario)
    assert store.size == 0


def test_a_log_only_node_takes_records_from_the_operator_only(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        status, message = await status_and_message(
            await client.post("/v1/records", json=numbered_record(1))
        )
        assert status == 401
        assert "submitting needs the operator token" in message
        response = await client.post("/v1/records", json=numbered_record(1), headers=OPERATOR)
        assert response.status == 201

    run_api(store, scenario, signed=False)
    assert store.size == 1


def test_the_request_digest_is_standard_eip712() -> None:
    """Any EIP-712 signer can sign a request: the digest is eth-account's for the same
    typed data, and eth-account's signature recovers to the agency."""
    method, path, timestamp = "GET", "/v1/records/00ff/bundle?x=%E6%A1%88", 1_764_000_000
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "ApiRequest": [
                {"name": "method", "type": "string"},
                {"name": "path", "type": "string"},
                {"name": "timestamp", "type": "uint64"},
            ],
        },
        "primaryType": "ApiRequest",
        "domain": DOMAIN.as_json(),
        "message": {"method": method, "path": path, "timestamp": timestamp},
    }
    assert REQUEST_TYPE == "ApiRequest(string method,string path,uint64 timestamp)"
    signed = Account.sign_message(encode_typed_data(full_message=typed), AGENCY_KEY)
    assert bytes(signed.message_hash) == request_digest(DOMAIN, method, path, timestamp)
    signature = bytes(signed.signature)
    assert request_signer(DOMAIN, method, path, timestamp, signature) == address_of(AGENCY_KEY)
    ours = sign_request(AGENCY_KEY, DOMAIN, method, path, timestamp)
    assert request_signer(DOMAIN, method, path, timestamp, ours) == address_of(AGENCY_KEY)
    assert request_signer(DOMAIN, method, path, timestamp + 1, ours) != address_of(AGENCY_KEY)


def test_the_openapi_document_says_who_may_call_each_operation() -> None:
    schemes = set(OPENAPI["components"]["securitySchemes"])
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            security = operation["security"]
            assert {name for option in security for name in option} <= schemes, (path, method)
            if path.startswith(("/v1/records/", "/v1/cases/")):
                assert "401" in operation["responses"], (path, method)
                assert {"operatorToken": []} in security
            if method in {"post", "put"} and "requestBody" in operation:
                assert "415" in operation["responses"], (path, method)
    assert OPENAPI["paths"]["/v1/cases/{case}/bundle"]["get"]["security"] == [
        {"operatorToken": []},
        {"agencySignature": [], "agencyTimestamp": []},
    ]


def test_a_signer_the_node_has_not_read_yet_is_looked_up_before_it_is_refused(
    store: LogStore,
) -> None:
    # The node's registry does not hold the agency yet (just started, or registered since
    # the anchoring thread last read it): one fresh read, then the agency reads its record.
    registry = {address_of(AGENCY_KEY): AGENCY}
    reads: list[int] = []

    def refresh() -> None:
        reads.append(1)
        registry[address_of(AGENCY_KEY)] = AGENCY

    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        (record_id,) = await submit(client, [submission(1)])
        del registry[address_of(AGENCY_KEY)]
        path = f"/v1/records/{record_id[:12]}"
        response = await client.get(path, headers=signed_get(AGENCY_KEY, path))
        assert response.status == 200, await response.text()
        assert reads == [1]
        stranger = await client.get(path, headers=signed_get(STRANGER_KEY, path))
        status, message = await status_and_message(stranger)
        assert (status, reads) == (401, [1, 1])
        assert "is not a registered agency key" in message

    run_api(store, scenario, registry=registry, refresh=refresh)
