"""Request bodies checked in worker processes (issue 12) give what the in-process check gives.

`NodeService.submit_body` parses and checks a body in the checker's worker processes and
authorises in the daemon; `NodeService.submit` checks parsed items in process, as before.
For valid batches and for named corrupt ones the two must append the same records or refuse
with the same first fault: the same item, message and field. The worker path is run through
a real pool of processes, so every error crosses a pipe with its facts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_api_http import AGENCY, AGENCY_KEY, CHAIN, DOMAIN, STRANGER_KEY, signed

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.signing import address_of
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.service import BatchInvalid, NodeService
from evanchor.node.daemon.submissions import (
    MAX_RECORDS_PER_REQUEST,
    BatchShapeInvalid,
    SubmissionChecker,
    check_body,
)

from samples import numbered_record


@pytest.fixture(scope="module")
def checker() -> Iterator[SubmissionChecker]:
    pool = SubmissionChecker(2)
    yield pool
    pool.close()


def _without(obj: dict[str, Any], *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(obj))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def _with(obj: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(obj))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def batch(*items: Any) -> bytes:
    return json.dumps({"submissions": list(items)}).encode()


CASES: dict[str, Callable[[], bytes]] = {
    "a valid batch": lambda: batch(signed(0), signed(1), signed(2)),
    "one valid submission": lambda: json.dumps(signed(3)).encode(),
    "a record member missing in item 1": lambda: batch(
        signed(0), _without(signed(1), "record", "case_id"), signed(2)
    ),
    "an unregistered signer before a malformed item": lambda: batch(
        signed(0, STRANGER_KEY), {"record": 5}
    ),
    "a signature of the wrong length in item 2": lambda: batch(
        signed(0), signed(1), _with(signed(2), "ab" * 10, "signature")
    ),
    "a signature over another record": lambda: batch(
        {**signed(0), "signature": signed(1)["signature"]}
    ),
    "an unsigned record": lambda: batch(numbered_record(0)),
    "an item that is not an object": lambda: batch(signed(0), 7),
    "an unknown member of a submission": lambda: batch({**signed(0), "extra": 1}),
}


def outcome(error: EvanchorError) -> tuple[str, int | None, str | None]:
    item = error.item if isinstance(error, BatchInvalid) else None
    inner = error.error if isinstance(error, BatchInvalid) else error
    field = next(
        (getattr(inner, name) for name in ("member", "field_path", "path") if hasattr(inner, name)),
        None,
    )
    return str(error), item, field


def run_service(
    tmp_path: Path, checker: SubmissionChecker | None, body: bytes
) -> tuple[list[int], tuple[str, int | None, str | None] | None, list[bytes]]:
    """(receipt indices, the refusal, the log's record ids) of one body, through
    `submit_body` with `checker` or, without, through `submit` of the parsed items."""

    async def main(store: LogStore) -> tuple[list[int], Any]:
        with ThreadPoolExecutor(max_workers=1) as executor:
            committer = GroupCommitter(store, executor)
            committer.start()
            service = NodeService(
                store,
                NodeConfig(chain=CHAIN),
                committer,
                domain=DOMAIN,
                agency_of={address_of(AGENCY_KEY): AGENCY}.get,
            )
            try:
                if checker is None:
                    parsed = json.loads(body)
                    items = parsed.get("submissions", [parsed])
                    receipts = await service.submit(items)
                else:
                    service.use_checker(checker)
                    receipts = await service.submit_body(body)
                return [r.index for r in receipts], None
            except EvanchorError as error:
                return [], outcome(error)
            finally:
                await committer.stop()

    with LogStore(tmp_path / ("pool" if checker else "inline"), create=True) as store:
        indices, refusal = asyncio.run(main(store))
        ids = [store.record(i).record_id for i in range(store.size)]
    return indices, refusal, ids


@pytest.mark.parametrize("name", list(CASES))
def test_the_worker_path_appends_or_refuses_as_the_in_process_check(
    name: str, checker: SubmissionChecker, tmp_path: Path
) -> None:
    body = CASES[name]()
    through_pool = run_service(tmp_path, checker, body)
    in_process = run_service(tmp_path, None, body)
    assert through_pool == in_process
    valid = name in ("a valid batch", "one valid submission")
    assert (through_pool[1] is None) == valid, through_pool[1]


def test_a_refusal_names_the_item_and_field_at_fault(
    checker: SubmissionChecker, tmp_path: Path
) -> None:
    _, refusal, ids = run_service(tmp_path, checker, CASES["a record member missing in item 1"]())
    assert refusal is not None
    message, item, field = refusal
    assert (item, field) == (1, "record.case_id")
    assert message.startswith("item 1: record.case_id")
    assert ids == []  # nothing of the batch was written


def test_an_unregistered_signer_first_is_the_fault_reported(
    checker: SubmissionChecker, tmp_path: Path
) -> None:
    _, refusal, _ = run_service(
        tmp_path, checker, CASES["an unregistered signer before a malformed item"]()
    )
    assert refusal is not None
    assert refusal[1:] == (0, "signature")
    assert address_of(STRANGER_KEY) in refusal[0]


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (b'{"submissions": 5}', 'expected {"submissions": [...]}'),
        (b'{"submissions": [], "extra": 1}', 'expected {"submissions": [...]}'),
        (
            json.dumps({"submissions": [{}] * (MAX_RECORDS_PER_REQUEST + 1)}).encode(),
            f"{MAX_RECORDS_PER_REQUEST + 1} submissions; at most {MAX_RECORDS_PER_REQUEST}",
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_as_a_whole(body: bytes, fault: str) -> None:
    checked = check_body(DOMAIN.separator, body)
    assert isinstance(checked.fault, BatchShapeInvalid)
    assert checked.fault_item is None
    assert checked.fault.detail().startswith(fault)
    assert checked.items == ()


def test_malformed_json_is_located_in_the_request_body(checker: SubmissionChecker) -> None:
    checked = asyncio.run(checker.check(DOMAIN.separator, b'{"submissions": [1,]}'))
    assert isinstance(checked.fault, InputError)
    assert checked.fault.source == "request body"
    assert checker.checking_bytes == 0


def test_workers_recover_the_signer_of_every_item(checker: SubmissionChecker) -> None:
    checked = asyncio.run(checker.check(DOMAIN.separator, CASES["a valid batch"]()))
    assert checked.fault is None
    assert [item.signer for item in checked.items] == [address_of(AGENCY_KEY)] * 3
    assert all(item.record.signature is not None for item in checked.items)
