"""Anchor evidence built on anvil (eth_getProof) and checked offline and with the chain.

eth-tester has no eth_getProof, so the chain here is anvil; test_evidence_embedded.py does
the same on the node's own Clique chain. Every tamper is a named change to a valid bundle
that must fail at a named step and check.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import rlp
from anchoring_helpers import Chain, bind, domain_of, fund, seal_records, set_up
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchor_state import confirmed_state
from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.evidence import (
    block_header_rlp,
    build_anchor_evidence,
    build_anchored_bundle,
    earliest_anchored_checkpoint,
    header_fields,
)
from evanchor.anchor.log.bundle import build_bundle, build_case_bundle
from evanchor.anchor.log.store import LogStore, StoreError
from evanchor.anchor.verify.anchor_evidence import verify_anchor_offline, verify_anchor_with_rpc
from evanchor.anchor.verify.bundle import Report, Step, verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.errors import AnchorEvidenceInvalid
from evanchor.contracts.storage_layout import checkpoint_slots
from evanchor.node.daemon.bundles import EVIDENCE_CURSOR_META, collect_evidence, stored_evidence

FAST = RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0)


@dataclass(frozen=True)
class Anchored:
    chain: Chain
    store: LogStore
    sizes: list[int]


def anchor_all(chain: Chain, store: LogStore) -> None:
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, poll_interval=0.01)
    assert a.run_until_idle(time.monotonic() + 20)[-1].kind is StepKind.IDLE


def anchored_log(chain: Chain, store: LogStore) -> Anchored:
    """Three anchored checkpoints of records signed by the registered agency (3, 6 and 4
    records, each checkpoint ending with its seal leaf: sizes 4, 11 and 16)."""
    bind(store, chain)
    sizes = []
    for count in (3, 6, 4):
        sizes.append(
            seal_records(store, count, signed_by=chain.agency, domain=domain_of(chain)).size
        )
    anchor_all(chain, store)
    return Anchored(chain, store, sizes)


@pytest.fixture
def anchored(anvil: Chain, store: LogStore) -> Anchored:
    """A log of its own, for tests that change the chain or the log."""
    return anchored_log(anvil, store)


@pytest.fixture(scope="module")
def shared(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anchored]:
    """One log for the tests that only read (built once: the tamper tests are many)."""
    chain = set_up(cc.web3_for(anvil_url), 0xFF)
    with LogStore(tmp_path_factory.mktemp("shared") / "log", create=True) as store:
        yield anchored_log(chain, store)


def steps(report: Report) -> dict[str, str]:
    return {step.name: step.status for step in report.steps}


def failed(report: Report) -> tuple[str, str]:
    step = report.failed_step
    assert step is not None, report.as_json()
    return step.name, step.detail


# Building


def test_the_anchor_section_holds_what_the_chain_says(shared: Anchored) -> None:
    c, store = shared.chain, shared.store
    bundle = build_anchored_bundle(store, c.anchor, 4).as_json()
    section = bundle["anchor"]
    state = store.anchor_state(1)
    assert state is not None
    (event,) = cc.anchor_events(c.anchor, writer=c.writer.address, index=1)
    block = c.w3.eth.get_block(event.block_number)
    assert {key: section[key] for key in ("chain_id", "contract", "writer")} == {
        key: bundle["log"][key] for key in ("chain_id", "contract", "writer")
    }
    assert bundle["log"] == {
        "chain_id": c.w3.eth.chain_id,
        "contract": c.anchor.address,
        "genesis_hash": bytes(c.w3.eth.get_block(0)["hash"]).hex(),
        "writer": c.writer.address,
    }
    assert bundle["seal"]["leaf"]["anchored_to"] == bundle["log"]
    assert section["checkpoint_index"] == 1
    assert section["tx_hash"] == event.tx_hash.hex() == state["tx_hash"]
    assert section["block_number"] == event.block_number
    assert section["block_hash"] == event.block_hash.hex() == bytes(block["hash"]).hex()
    assert section["log_index"] == event.log_index
    assert section["block_timestamp"] == block["timestamp"]
    assert keccak(bytes.fromhex(section["header_rlp"])) == event.block_hash
    assert bundle["checkpoint"] == store.checkpoint(1).as_json()
    assert [p["slot"] for p in section["storage_proofs"]] == [
        slot.to_bytes(32, "big").hex() for slot in checkpoint_slots(c.writer.address, 1)
    ]
    assert all(len(p["value"]) == 64 for p in section["storage_proofs"])
    assert bundle["signature"]["signer"] == c.agency.address
    assert len(bytes.fromhex(bundle["signature"]["signature"])) == 65


def test_the_header_is_rebuilt_from_standard_fields(anvil: Chain) -> None:
    encoded, block = block_header_rlp(anvil.anchor, anvil.deployed_at)
    assert keccak(encoded) == bytes(block["hash"])
    fields = rlp.decode(encoded)
    assert len(fields) == 16  # London
    assert int.from_bytes(fields[8], "big") == anvil.deployed_at
    # Later forks' fields go on the end, in order, only when present.
    later = dict(block, withdrawalsRoot=b"\x01" * 32, blobGasUsed=0)
    assert header_fields(later)[16:] == [b"\x01" * 32, 0]
    # web3's proof-of-authority middleware (web3_for) calls extraData proofOfAuthorityData.
    assert "extraData" not in block
    renamed = dict(block)
    renamed["extraData"] = renamed.pop("proofOfAuthorityData")
    assert header_fields(renamed) == header_fields(block)


def test_the_earliest_anchored_checkpoint_is_chosen(anchored: Anchored) -> None:
    store = anchored.store
    # Leaves 0-2, 4-9, 11-14 are records; 3, 10 and 15 the seal leaves.
    assert [earliest_anchored_checkpoint(store, i)[0].seq for i in (0, 2, 4, 9, 11, 14)] == [  # type: ignore[index]
        0,
        0,
        1,
        1,
        2,
        2,
    ]
    assert earliest_anchored_checkpoint(store, 16) is None
    seal_records(store, 2, signed_by=anchored.chain.agency, domain=domain_of(anchored.chain))
    with pytest.raises(StoreError, match="no anchored checkpoint"):
        build_anchored_bundle(store, anchored.chain.anchor, 16)
    assert store.anchor_state(3) is None
    assert confirmed_state(store, 3) is None  # so no evidence can be built for it


def test_an_unbound_log_has_plain_bundles_only(anvil: Chain, store: LogStore) -> None:
    """A log never bound to a chain (its seal leaves commit to no target) keeps null
    sections; anchored anyway, it has no anchored bundle: its seal leaves would contradict
    the anchor. A bound log takes only signed records."""
    seal_records(store, 2)
    plain = build_bundle(store, 0).as_json()
    assert (plain["log"], plain["anchor"], plain["signature"]) == (None, None, None)
    assert verify_bundle(plain).ok
    assert steps(verify_bundle(plain))["signature"] == "skipped"
    anchor_all(anvil, store)
    with pytest.raises(StoreError, match="commit to no anchor target"):
        build_anchored_bundle(store, anvil.anchor, 1)


# Verifying


def _signature_step(report: Report) -> Step:
    return next(s for s in report.steps if s.name == "signature")


def test_a_bundle_verifies_offline_with_a_trusted_hash_and_with_the_chain(
    shared: Anchored,
) -> None:
    c = shared.chain
    for index in range(shared.sizes[-1]):
        if not shared.store.is_record_leaf(index):
            continue
        bundle = build_anchored_bundle(shared.store, c.anchor, index).as_json()
        offline = verify_bundle(bundle)
        assert offline.ok, offline.as_json()
        # Built from the store alone: the log never signed the checkpoint, so no note.
        walked = steps(offline)
        assert walked.pop("checkpoint note") == "skipped"
        assert all(status == "ok" for status in walked.values())
    anchor_step = next(s for s in offline.steps if s.name == "anchor")
    assert anchor_step.detail.endswith(
        "checked against the bundle's own block hash only; supply a trusted block hash or"
        " --rpc to tie it to a chain"
    )
    assert offline.assurance == "log-only"  # nothing outside the bundle was asked
    assert "needs --rpc" in _signature_step(offline).detail
    trusted = verify_bundle(
        bundle, trusted_block_hash=bytes.fromhex(bundle["anchor"]["block_hash"])
    )
    assert trusted.ok
    assert (trusted.assurance, trusted.outcome) == ("anchored+signed", "VERIFIED")
    assert (
        "the block hash is the trusted one"
        in next(s for s in trusted.steps if s.name == "anchor").detail
    )
    online = verify_bundle(bundle, w3=c.w3)
    assert online.ok, online.as_json()
    assert online.assurance == "anchored+signed+registered"
    assert _signature_step(online).detail == (
        f"signed by {c.agency.address} under the log's domain (chain {c.w3.eth.chain_id},"
        f" contract {c.anchor.address}), registered as agency 91350100M000100Y43 at block "
        f"{bundle['anchor']['block_number']}"
    )
    assert "the writer held the writer role at that block" in online.summary
    facts = verify_anchor_with_rpc(bundle, c.w3)
    assert (facts.tied_to, facts.size, facts.checkpoint_index) == ("rpc", shared.sizes[-1], 2)


def test_a_wrong_trusted_hash_fails_the_anchor_step(shared: Anchored) -> None:
    bundle = build_anchored_bundle(shared.store, shared.chain.anchor, 0).as_json()
    report = verify_bundle(bundle, trusted_block_hash=b"\x01" * 32)
    assert failed(report)[0] == "anchor"
    assert failed(report)[1].startswith("chain: block hash: bundle says")


def test_the_writer_role_and_registration_are_judged_at_the_anchoring_block(
    anchored: Anchored,
) -> None:
    # Revoked after anchoring: what counts is block B.
    c = anchored.chain
    bundle = build_anchored_bundle(anchored.store, c.anchor, 0).as_json()
    cc.revoke_writer(c.anchor, c.admin, c.writer.address, timeout=10)
    cc.revoke_agency(c.anchor, c.admin, c.agency.address, timeout=10)
    assert verify_bundle(bundle, w3=c.w3).ok


def test_a_signer_not_registered_at_the_anchoring_block_fails(
    anvil: Chain, store: LogStore
) -> None:
    bind(store, anvil)
    seal_records(store, 3, signed_by=anvil.agency, domain=domain_of(anvil))
    cc.revoke_agency(anvil.anchor, anvil.admin, anvil.agency.address, timeout=10)
    anchor_all(anvil, store)
    bundle = build_anchored_bundle(store, anvil.anchor, 1).as_json()
    assert verify_bundle(bundle).ok  # offline the registration cannot be known
    name, detail = failed(verify_bundle(bundle, w3=anvil.w3))
    assert name == "signature"
    assert detail == (
        f"signer {anvil.agency.address} was not registered at block "
        f"{bundle['anchor']['block_number']}, not as 91350100M000100Y43"
    )


def test_a_signer_registered_for_another_agency_fails(anvil: Chain, store: LogStore) -> None:
    other = Account.create()
    cc.register_agency(anvil.anchor, anvil.admin, other.address, "91310115MA1K3TQ00E", timeout=10)
    bind(store, anvil)
    seal_records(store, 2, signed_by=other, domain=domain_of(anvil))
    anchor_all(anvil, store)
    bundle = build_anchored_bundle(store, anvil.anchor, 0).as_json()
    name, detail = failed(verify_bundle(bundle, w3=anvil.w3))
    assert (
        name,
        detail.endswith(
            "registered as 91310115MA1K3TQ00E at block "
            f"{bundle['anchor']['block_number']}, not as 91350100M000100Y43"
        ),
    ) == ("signature", True)


# Tampering: every change fails at the step (and check) it breaks


def flip(hex_text: str, position: int) -> str:
    raw = bytearray.fromhex(hex_text)
    raw[position] ^= 0x01
    return raw.hex()


def edit(path: tuple[Any, ...], change: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def apply(bundle: dict[str, Any]) -> None:
        target = bundle
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = change(target[path[-1]])

    return apply


def other_address(address: str) -> str:
    return to_checksum_address("0x" + flip(address[2:].lower(), 19))


TAMPERS: dict[str, tuple[list[Callable[[dict[str, Any]], None]], str, str]] = {
    "header byte": (
        [edit(("anchor", "header_rlp"), lambda h: flip(h, 40))],
        "anchor",
        "block header",
    ),
    "block hash": (
        [edit(("anchor", "block_hash"), lambda h: flip(h, 0))],
        "anchor",
        "block header",
    ),
    "block number": ([edit(("anchor", "block_number"), lambda n: n + 1)], "anchor", "block header"),
    "block timestamp": (
        [edit(("anchor", "block_timestamp"), lambda n: n - 1)],
        "anchor",
        "block header",
    ),
    "account proof node": (
        [edit(("anchor", "account_proof"), lambda p: [p[0], flip(p[1], 3), *p[2:]])],
        "anchor",
        "account proof",
    ),
    "account proof trailing node": (
        [edit(("anchor", "account_proof"), lambda p: [*p, p[-1]])],
        "anchor",
        "account proof",
    ),
    "account proof truncated": (
        [edit(("anchor", "account_proof"), lambda p: p[:-1])],
        "anchor",
        "account proof",
    ),
    "storage proof node": (
        [edit(("anchor", "storage_proofs", 1, "proof"), lambda p: [*p[:-1], flip(p[-1], 5)])],
        "anchor",
        "storage proof",
    ),
    "slot": (
        [edit(("anchor", "storage_proofs", 0, "slot"), lambda s: flip(s, 31))],
        "anchor",
        "storage proof",
    ),
    "slot value": (
        [edit(("anchor", "storage_proofs", 1, "value"), lambda v: flip(v, 31))],
        "anchor",
        "stored checkpoint",
    ),
    "checkpoint index": (
        [edit(("anchor", "checkpoint_index"), lambda i: i + 1)],
        "anchor",
        "storage proof",
    ),
    # `log` is bound by the seal leaf (its `anchored_to`), so changing it with the anchor
    # fails there, before any chain evidence is read.
    "writer": (
        [edit((k, "writer"), other_address) for k in ("anchor", "log")],
        "seal",
        "log is",
    ),
    "writer of the anchor alone": (
        [edit(("anchor", "writer"), other_address)],
        "anchor",
        "anchor format",
    ),
    "contract": (
        [edit((k, "contract"), other_address) for k in ("anchor", "log")],
        "seal",
        "log is",
    ),
    "chain id of the anchor alone": (
        [edit(("anchor", "chain_id"), lambda n: n + 1)],
        "anchor",
        "anchor format",
    ),
    "chain id": (
        [edit((k, "chain_id"), lambda n: n + 1) for k in ("anchor", "log")],
        "seal",
        "log is",
    ),
    "genesis hash": ([edit(("log", "genesis_hash"), lambda h: flip(h, 0))], "seal", "log is"),
    "unknown anchor member": (
        [lambda b: b["anchor"].update(note="x")],
        "anchor",
        "anchor format: anchor.note: unknown member",
    ),
    "negative checkpoint index": (
        [edit(("anchor", "checkpoint_index"), lambda _: -1)],
        "anchor",
        "anchor format: anchor.checkpoint_index: must be at least 0",
    ),
    "signature byte": ([edit(("signature", "signature"), lambda s: flip(s, 7))], "signature", ""),
    "signer": ([edit(("signature", "signer"), other_address)], "signature", ""),
    "missing header": ([lambda b: b["anchor"].pop("header_rlp")], "anchor", "anchor format"),
    "one storage proof": (
        [edit(("anchor", "storage_proofs"), lambda p: p[:1])],
        "anchor",
        "anchor format",
    ),
    "upper-case hex": ([edit(("anchor", "block_hash"), str.upper)], "anchor", "anchor format"),
}


@pytest.fixture
def valid_bundle(shared: Anchored) -> dict[str, Any]:
    bundle = build_anchored_bundle(shared.store, shared.chain.anchor, 5).as_json()
    assert verify_bundle(bundle).ok
    return bundle


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_each_tamper_fails_at_its_step_offline(valid_bundle: dict[str, Any], name: str) -> None:
    changes, step, check = TAMPERS[name]
    bundle = copy.deepcopy(valid_bundle)
    for change in changes:
        change(bundle)
    step_name, detail = failed(verify_bundle(bundle))
    assert step_name == step, detail
    assert detail.startswith(check), detail


@pytest.mark.parametrize(
    ("member", "change", "check"),
    [
        ("tx_hash", lambda h: flip(h, 0), "chain: eth_getTransactionReceipt"),
        ("log_index", lambda n: n + 1, "chain: log"),
    ],
)
def test_what_only_the_chain_can_tell_fails_with_rpc(
    shared: Anchored, valid_bundle: dict[str, Any], member: str, change: Any, check: str
) -> None:
    bundle = copy.deepcopy(valid_bundle)
    bundle["anchor"][member] = change(bundle["anchor"][member])
    assert verify_bundle(bundle).ok  # offline, the transaction is not covered by proofs
    step_name, detail = failed(verify_bundle(bundle, w3=shared.chain.w3))
    assert (step_name, detail.startswith(check)) == ("anchor", True), detail


def test_every_byte_of_the_header_and_proofs_is_covered(valid_bundle: dict[str, Any]) -> None:
    section = valid_bundle["anchor"]
    targets: list[tuple[str, tuple[Any, ...]]] = [("header", ("header_rlp",))]
    targets += [("account", ("account_proof", i)) for i in range(len(section["account_proof"]))]
    for word, entry in enumerate(section["storage_proofs"]):
        targets += [
            ("storage", ("storage_proofs", word, "proof", i)) for i in range(len(entry["proof"]))
        ]
    flipped = 0
    for _, path in targets:
        original = section
        for key in path[:-1]:
            original = original[key]
        text = original[path[-1]]
        for position in range(len(text) // 2):
            bundle = copy.deepcopy(valid_bundle)
            edit(("anchor", *path), lambda h, p=position: flip(h, p))(bundle)
            with pytest.raises(AnchorEvidenceInvalid):
                verify_anchor_offline(bundle)
            flipped += 1
    assert flipped > 1000  # a header of ~540 bytes and a dozen proof nodes


# Property: evidence for random checkpoints verifies


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(counts=st.lists(st.integers(1, 40), min_size=1, max_size=3), pick=st.randoms())
def test_evidence_for_random_checkpoints_verifies(
    anvil: Chain, tmp_path_factory: pytest.TempPathFactory, counts: list[int], pick: Any
) -> None:
    with LogStore(tmp_path_factory.mktemp("prop") / "log", create=True) as store:
        c = Chain(**{**anvil.__dict__, "writer": Account.create()})
        cc.grant_writer(c.anchor, c.admin, c.writer.address, timeout=10)
        fund(c.w3, [c.writer])
        bind(store, c)
        for count in counts:
            seal_records(store, count, signed_by=c.agency, domain=domain_of(c))
        anchor_all(c, store)
        index = pick.choice([i for i in range(store.size) if store.is_record_leaf(i)])
        bundle = build_anchored_bundle(store, c.anchor, index).as_json()
        assert verify_bundle(bundle).ok
        facts = verify_anchor_offline(bundle, bytes.fromhex(bundle["anchor"]["block_hash"]))
        assert facts.tied_to == "trusted block hash"


OFFLINE_UNCHECKED = {("anchor", "tx_hash"), ("anchor", "log_index")}
"""Members of the anchor section that only a chain can confirm (no receipt proof offline)."""

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaf_paths(v, (*prefix, k))] or [prefix]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaf_paths(v, (*prefix, i))] or [prefix]
    return [prefix]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_change_to_the_chain_sections_gives_a_report_never_a_crash(
    valid_bundle: dict[str, Any], data: st.DataObject
) -> None:
    bundle = copy.deepcopy(valid_bundle)
    paths = [p for key in ("anchor", "log", "signature") for p in leaf_paths(bundle[key], (key,))]
    path = data.draw(st.sampled_from(paths))
    new = data.draw(JSON_VALUES)
    target = bundle
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    target[path[-1]] = new
    report = verify_bundle(bundle)
    if new == old and type(new) is type(old):
        assert report.ok
    elif path in OFFLINE_UNCHECKED and report.ok:
        # Which transaction and log carried the anchor is only checked with a chain (--rpc):
        # offline, the proofs show the checkpoint stored at block B, whoever put it there.
        assert isinstance(new, int | str)
    else:
        assert not report.ok
        # `log` is read at the format step and bound by the seal leaf.
        assert failed(report)[0] in ("format", "seal", "anchor", "signature")


def test_a_case_bundle_of_anchored_records_is_checked_with_the_chain(shared: Anchored) -> None:
    c, store = shared.chain, shared.store
    found = earliest_anchored_checkpoint(store, store.size - 2)
    assert found is not None
    checkpoint, state = found
    case_bundle = build_case_bundle(
        store,
        "collection/C-1",
        checkpoint=checkpoint,
        anchor=build_anchor_evidence(c.anchor, state),
    ).as_json()
    report = verify_case_bundle(case_bundle, w3=c.w3)
    assert report.ok, report.as_json()
    assert report.assurance == "anchored+signed+registered"
    assert "has exactly" in report.summary
    report = verify_case_bundle(case_bundle, trusted_block_hash=b"\x00" * 32)
    assert report.failed_step is not None
    assert report.failed_step.detail.startswith("anchor: chain: block hash")


def test_evidence_is_collected_once_per_newly_confirmed_checkpoint(anchored: Anchored) -> None:
    """The evidence cursor: a call after the last collects nothing and reads no old
    checkpoint; a newly confirmed checkpoint is collected by the next call, and only it."""
    store, chain = anchored.store, anchored.chain
    assert collect_evidence(store, chain.anchor) == 3
    assert store.meta(EVIDENCE_CURSOR_META) == {"next_seq": 3}
    assert collect_evidence(store, chain.anchor) == 0
    seal_records(store, 2, signed_by=chain.agency, domain=domain_of(chain))
    assert collect_evidence(store, chain.anchor) == 0  # sealed, not confirmed yet
    anchor_all(chain, store)
    assert collect_evidence(store, chain.anchor) == 1
    assert store.meta(EVIDENCE_CURSOR_META) == {"next_seq": 4}
    assert [stored_evidence(store, seq) is not None for seq in range(4)] == [True] * 4
    assert stored_evidence(store, 3) == build_anchor_evidence(
        chain.anchor,
        confirmed_state(store, 3),  # type: ignore[arg-type]
    )
