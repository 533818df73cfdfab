"""EvidenceAnchor on a real EVM: web3 against py-evm's London VM through eth-tester."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3.logs import DISCARD

from evanchor.anchor.protocol import merkle
from evanchor.contracts.artifacts import load_artifact

from evm_harness import (
    ADMIN_DELAY,
    DEFAULT_ADMIN_ROLE,
    WRITER_ROLE,
    Deployment,
    Tree,
    checkpoint_tuple,
    london_web3,
    revert_of,
    send,
    send_failing,
)

ZERO_ADDRESS = "0x" + "00" * 20
UINT64_MAX = (1 << 64) - 1


def anchor_call(d: Deployment, size: int, root: bytes, proof: list[bytes]) -> Any:
    return d.contract.functions.anchor(size, root, proof)


def anchored(d: Deployment, writer: str, size: int, root: bytes, proof: list[bytes]) -> Any:
    """Anchors and returns the CheckpointAnchored event's arguments and the receipt."""
    receipt = send(anchor_call(d, size, root, proof), writer)
    (event,) = d.contract.events.CheckpointAnchored().process_receipt(receipt, errors=DISCARD)
    return event["args"], receipt


def rejected(d: Deployment, writer: str, size: int, root: bytes, proof: list[bytes]) -> Any:
    """The decoded revert of an anchor call, after checking a mined attempt fails on chain too."""
    count = d.contract.functions.checkpointCount(writer).call()
    error = revert_of(anchor_call(d, size, root, proof), writer)
    receipt = send_failing(anchor_call(d, size, root, proof), writer)
    assert receipt["logs"] == []
    assert d.contract.functions.checkpointCount(writer).call() == count
    return error


# Deployment and roles


def test_deployment_sets_admin_delay_and_role_constants(deployment: Deployment) -> None:
    d = deployment
    functions = d.contract.functions
    assert functions.WRITER_ROLE().call() == keccak(b"WRITER_ROLE")
    assert functions.defaultAdmin().call() == d.admin
    assert functions.owner().call() == d.admin
    assert functions.defaultAdminDelay().call() == ADMIN_DELAY
    assert functions.hasRole(DEFAULT_ADMIN_ROLE, d.admin).call()
    assert functions.getRoleAdmin(WRITER_ROLE).call() == DEFAULT_ADMIN_ROLE
    assert not functions.hasRole(WRITER_ROLE, d.admin).call()
    assert functions.hasRole(WRITER_ROLE, d.writer).call()
    assert d.w3.eth.get_code(d.contract.address) == load_artifact().deployed_bytecode


def test_deployment_refuses_the_zero_admin() -> None:
    w3 = london_web3()
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    assert revert_of(factory.constructor(0, ZERO_ADDRESS), w3.eth.accounts[0]) == (
        "AccessControlInvalidDefaultAdmin",
        (ZERO_ADDRESS,),
    )


def test_grant_and_revoke_emit_events(deployment: Deployment) -> None:
    d = deployment
    receipt = send(d.contract.functions.grantRole(WRITER_ROLE, d.outsider), d.admin)
    (granted,) = d.contract.events.RoleGranted().process_receipt(receipt, errors=DISCARD)
    assert granted["args"] == {"role": WRITER_ROLE, "account": d.outsider, "sender": d.admin}
    receipt = send(d.contract.functions.revokeRole(WRITER_ROLE, d.outsider), d.admin)
    (revoked,) = d.contract.events.RoleRevoked().process_receipt(receipt, errors=DISCARD)
    assert revoked["args"] == {"role": WRITER_ROLE, "account": d.outsider, "sender": d.admin}
    assert revoked["blockNumber"] == granted["blockNumber"] + 1


def test_only_the_admin_grants_the_writer_role(deployment: Deployment) -> None:
    d = deployment
    grant = d.contract.functions.grantRole(WRITER_ROLE, d.outsider)
    assert revert_of(grant, d.writer) == (
        "AccessControlUnauthorizedAccount",
        (d.writer, DEFAULT_ADMIN_ROLE),
    )
    send_failing(grant, d.writer)
    assert not d.contract.functions.hasRole(WRITER_ROLE, d.outsider).call()


def test_admin_role_cannot_be_granted_directly(deployment: Deployment) -> None:
    d = deployment
    grant = d.contract.functions.grantRole(DEFAULT_ADMIN_ROLE, d.outsider)
    assert revert_of(grant, d.admin) == ("AccessControlEnforcedDefaultAdminRules", ())


def test_admin_cannot_anchor_without_the_writer_role(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"admin", 4)
    assert rejected(d, d.admin, 4, tree.root(4), []) == (
        "AccessControlUnauthorizedAccount",
        (d.admin, WRITER_ROLE),
    )
    send(d.contract.functions.grantRole(WRITER_ROLE, d.admin), d.admin)
    args, _ = anchored(d, d.admin, 4, tree.root(4), [])
    assert args["writer"] == d.admin


def test_account_without_role_cannot_anchor(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"outsider", 1)
    assert rejected(d, d.outsider, 1, tree.root(1), []) == (
        "AccessControlUnauthorizedAccount",
        (d.outsider, WRITER_ROLE),
    )


def test_revoked_writer_cannot_anchor_but_its_log_stays(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"revoked", 6)
    anchored(d, d.writer, 3, tree.root(3), [])
    send(d.contract.functions.revokeRole(WRITER_ROLE, d.writer), d.admin)
    assert rejected(d, d.writer, 6, tree.root(6), tree.consistency(3, 6)) == (
        "AccessControlUnauthorizedAccount",
        (d.writer, WRITER_ROLE),
    )
    assert d.contract.functions.isAnchored(d.writer, 3, tree.root(3)).call()
    # Granted again, the writer continues its own log where it stopped.
    send(d.contract.functions.grantRole(WRITER_ROLE, d.writer), d.admin)
    args, _ = anchored(d, d.writer, 6, tree.root(6), tree.consistency(3, 6))
    assert args["index"] == 1


def test_writer_can_renounce_its_role(deployment: Deployment) -> None:
    d = deployment
    send(d.contract.functions.renounceRole(WRITER_ROLE, d.writer), d.writer)
    assert not d.contract.functions.hasRole(WRITER_ROLE, d.writer).call()


def test_admin_transfer_takes_two_steps_and_the_delay(deployment: Deployment) -> None:
    d = deployment
    new_admin = d.outsider
    functions = d.contract.functions
    receipt = send(functions.beginDefaultAdminTransfer(new_admin), d.admin)
    schedule = d.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + ADMIN_DELAY
    assert functions.pendingDefaultAdmin().call() == [new_admin, schedule]
    # Step two, too early: refused, and the old admin still rules.
    assert revert_of(functions.acceptDefaultAdminTransfer(), new_admin) == (
        "AccessControlEnforcedDefaultAdminDelay",
        (schedule,),
    )
    # Only the pending admin may accept.
    d.w3.provider.ethereum_tester.time_travel(schedule + 1)
    assert revert_of(functions.acceptDefaultAdminTransfer(), d.writer) == (
        "AccessControlInvalidDefaultAdmin",
        (d.writer,),
    )
    send(functions.acceptDefaultAdminTransfer(), new_admin)
    assert functions.defaultAdmin().call() == new_admin
    assert not functions.hasRole(DEFAULT_ADMIN_ROLE, d.admin).call()
    assert revert_of(functions.grantRole(WRITER_ROLE, d.admin), d.admin) == (
        "AccessControlUnauthorizedAccount",
        (d.admin, DEFAULT_ADMIN_ROLE),
    )
    send(functions.grantRole(WRITER_ROLE, d.admin), new_admin)


# Anchoring


def test_first_checkpoint_is_stored_with_block_and_time(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"first", 5)
    assert anchor_call(d, 5, tree.root(5), []).call({"from": d.writer}) == 0
    args, receipt = anchored(d, d.writer, 5, tree.root(5), [])
    assert args == {"writer": d.writer, "index": 0, "size": 5, "root": tree.root(5)}
    block = d.w3.eth.get_block(receipt["blockNumber"])
    expected = (5, block["number"], block["timestamp"], tree.root(5))
    assert checkpoint_tuple(d.contract, d.writer, 0) == expected
    assert tuple(d.contract.functions.latestCheckpoint(d.writer).call()) == expected
    assert d.contract.functions.checkpointCount(d.writer).call() == 1
    assert d.contract.functions.checkpointCount(d.other_writer).call() == 0


@pytest.mark.parametrize("size", [1, 2, 1000, UINT64_MAX])
def test_first_checkpoint_may_have_any_positive_size(deployment: Deployment, size: int) -> None:
    root = keccak(b"any root")
    args, _ = anchored(deployment, deployment.writer, size, root, [])
    assert args["size"] == size


def test_first_checkpoint_of_an_empty_tree_is_refused(deployment: Deployment) -> None:
    d = deployment
    assert rejected(d, d.writer, 0, Tree(b"", 0).root(0), []) == (
        "EvidenceAnchorEmptyCheckpoint",
        (d.writer,),
    )


def test_first_checkpoint_takes_no_proof(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"first-proof", 4)
    assert rejected(d, d.writer, 4, tree.root(4), [tree.root(2)]) == (
        "EvidenceAnchorUnexpectedProof",
        (d.writer, 1),
    )


def test_consistent_extensions_append_to_the_log(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"grow", 64)
    sizes = [1, 2, 3, 7, 8, 9, 31, 32, 33, 64]
    blocks = []
    previous = None
    for index, size in enumerate(sizes):
        proof = [] if previous is None else tree.consistency(previous, size)
        args, receipt = anchored(d, d.writer, size, tree.root(size), proof)
        assert args == {"writer": d.writer, "index": index, "size": size, "root": tree.root(size)}
        blocks.append(d.w3.eth.get_block(receipt["blockNumber"]))
        previous = size
    assert d.contract.functions.checkpointCount(d.writer).call() == len(sizes)
    for index, (size, block) in enumerate(zip(sizes, blocks, strict=True)):
        assert checkpoint_tuple(d.contract, d.writer, index) == (
            size,
            block["number"],
            block["timestamp"],
            tree.root(size),
        )
    assert d.contract.functions.latestCheckpoint(d.writer).call()[0] == 64


def test_writers_have_separate_logs(deployment: Deployment) -> None:
    d = deployment
    mine, theirs = Tree(b"mine", 10), Tree(b"theirs", 10)
    anchored(d, d.writer, 4, mine.root(4), [])
    anchored(d, d.other_writer, 9, theirs.root(9), [])
    # The other writer's larger size does not constrain this writer, nor the reverse.
    args, _ = anchored(d, d.writer, 10, mine.root(10), mine.consistency(4, 10))
    assert args["index"] == 1
    args, _ = anchored(d, d.other_writer, 10, theirs.root(10), theirs.consistency(9, 10))
    assert args["index"] == 1
    assert not d.contract.functions.isAnchored(d.writer, 9, theirs.root(9)).call()


# Rejections of later checkpoints


@pytest.fixture
def log_at_5(deployment: Deployment) -> tuple[Deployment, Tree]:
    tree = Tree(b"rejections", 16)
    anchored(deployment, deployment.writer, 5, tree.root(5), [])
    return deployment, tree


def test_shrinking_size_is_refused(log_at_5: tuple[Deployment, Tree]) -> None:
    d, tree = log_at_5
    assert rejected(d, d.writer, 4, tree.root(4), []) == (
        "EvidenceAnchorSizeNotIncreasing",
        (d.writer, 5, 4),
    )


def test_equal_size_is_refused_even_with_the_same_root(log_at_5: tuple[Deployment, Tree]) -> None:
    d, tree = log_at_5
    assert rejected(d, d.writer, 5, tree.root(5), []) == (
        "EvidenceAnchorSizeNotIncreasing",
        (d.writer, 5, 5),
    )


def inconsistent(d: Deployment, tree: Tree, size: int, root: bytes) -> tuple[str, tuple[Any, ...]]:
    return ("EvidenceAnchorInconsistentCheckpoint", (d.writer, 5, tree.root(5), size, root))


def test_wrong_new_root_is_refused(log_at_5: tuple[Deployment, Tree]) -> None:
    d, tree = log_at_5
    wrong = tree.root(11)
    error = rejected(d, d.writer, 12, wrong, tree.consistency(5, 12))
    assert error == inconsistent(d, tree, 12, wrong)


@pytest.mark.parametrize("element", [0, 2, 4])
@pytest.mark.parametrize("bit", [0, 7, 255])
def test_corrupted_proof_is_refused(
    log_at_5: tuple[Deployment, Tree], element: int, bit: int
) -> None:
    d, tree = log_at_5
    proof = tree.consistency(5, 12)
    assert len(proof) == 5
    word = bytearray(proof[element])
    word[bit // 8] ^= 0x80 >> (bit % 8)
    proof[element] = bytes(word)
    error = rejected(d, d.writer, 12, tree.root(12), proof)
    assert error == inconsistent(d, tree, 12, tree.root(12))


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: p[:-1], id="truncated"),
        pytest.param(lambda p: p[1:], id="first-dropped"),
        pytest.param(lambda p: [], id="empty"),
        pytest.param(lambda p: [*p, p[-1]], id="trailing-element"),
        pytest.param(lambda p: [p[0], *p], id="preceding-element"),
        pytest.param(lambda p: p[::-1], id="reversed"),
    ],
)
def test_misshapen_proof_is_refused(log_at_5: tuple[Deployment, Tree], edit: Any) -> None:
    d, tree = log_at_5
    proof = edit(tree.consistency(5, 12))
    error = rejected(d, d.writer, 12, tree.root(12), proof)
    assert error == inconsistent(d, tree, 12, tree.root(12))


def test_proof_from_another_old_root_is_refused(log_at_5: tuple[Deployment, Tree]) -> None:
    # A valid proof that another tree of 5 leaves grew into that tree of 12 leaves says
    # nothing about this log: its first 5 leaves differ.
    d, tree = log_at_5
    other = Tree(b"another log", 12)
    error = rejected(d, d.writer, 12, other.root(12), other.consistency(5, 12))
    assert error == inconsistent(d, tree, 12, other.root(12))


def test_proof_from_another_old_size_is_refused(log_at_5: tuple[Deployment, Tree]) -> None:
    d, tree = log_at_5
    error = rejected(d, d.writer, 12, tree.root(12), tree.consistency(6, 12))
    assert error == inconsistent(d, tree, 12, tree.root(12))


def test_log_continues_after_a_refusal(log_at_5: tuple[Deployment, Tree]) -> None:
    d, tree = log_at_5
    rejected(d, d.writer, 12, tree.root(11), tree.consistency(5, 12))
    args, _ = anchored(d, d.writer, 12, tree.root(12), tree.consistency(5, 12))
    assert args["index"] == 1


# Views


def test_views_of_a_writer_without_checkpoints(deployment: Deployment) -> None:
    d = deployment
    functions = d.contract.functions
    assert functions.checkpointCount(d.outsider).call() == 0
    assert not functions.isAnchored(d.outsider, 1, b"\x00" * 32).call()
    assert revert_of(functions.latestCheckpoint(d.outsider), d.outsider) == (
        "EvidenceAnchorNoCheckpoint",
        (d.outsider,),
    )
    assert revert_of(functions.checkpointAt(d.outsider, 0), d.outsider) == (
        "EvidenceAnchorCheckpointOutOfRange",
        (d.outsider, 0, 0),
    )


def test_checkpoint_at_refuses_indices_past_the_end(log_at_5: tuple[Deployment, Tree]) -> None:
    d, _ = log_at_5
    for index in (1, 2, (1 << 256) - 1):
        assert revert_of(d.contract.functions.checkpointAt(d.writer, index), d.writer) == (
            "EvidenceAnchorCheckpointOutOfRange",
            (d.writer, index, 1),
        )


def test_is_anchored_finds_exactly_the_anchored_checkpoints(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"search", 40)
    sizes = [2, 3, 5, 8, 13, 21, 34]
    previous = None
    for size in sizes:
        proof = [] if previous is None else tree.consistency(previous, size)
        anchored(d, d.writer, size, tree.root(size), proof)
        previous = size
    is_anchored = d.contract.functions.isAnchored
    for size in range(40):
        expected = size in sizes
        assert is_anchored(d.writer, size, tree.root(size)).call() is expected, size
        assert not is_anchored(d.writer, size, Tree(b"other", 40).root(size)).call(), size
        assert not is_anchored(d.other_writer, size, tree.root(size)).call(), size


# Pure verifiers: edge cases that the differential tests do not reach


def test_verify_consistency_edge_cases(deployment: Deployment) -> None:
    tree = Tree(b"edges", 9)
    verify = deployment.contract.functions.verifyConsistency
    r4, r9 = tree.root(4), tree.root(9)
    assert verify(4, 4, r4, r4, []).call()
    assert not verify(4, 4, r4, r9, []).call()
    assert not verify(4, 4, r4, r4, [r4]).call()
    assert not verify(0, 9, tree.root(0), r9, []).call()
    assert not verify(0, 0, tree.root(0), tree.root(0), []).call()
    assert not verify(9, 4, r9, r4, tree.consistency(4, 9)).call()
    assert verify(4, 9, r4, r9, tree.consistency(4, 9)).call()
    # Proofs of any length come back false, never as a revert.
    for length in (0, 1, 63, 64, 65, 200):
        assert not verify(4, 9, r4, r9, [r9] * length).call()
        assert not verify(UINT64_MAX - 1, UINT64_MAX, r4, r9, [r9] * length).call()


def test_verify_inclusion_edge_cases(deployment: Deployment) -> None:
    tree = Tree(b"edges", 9)
    verify = deployment.contract.functions.verifyInclusion
    leaf = tree.leaf_hashes[3]
    assert verify(leaf, 3, 9, tree.inclusion(3, 9), tree.root(9)).call()
    assert verify(tree.leaf_hashes[0], 0, 1, [], tree.root(1)).call()
    assert not verify(leaf, 9, 9, tree.inclusion(3, 9), tree.root(9)).call()
    assert not verify(leaf, 0, 0, [], tree.root(0)).call()
    assert not verify(leaf, UINT64_MAX, UINT64_MAX, [], tree.root(9)).call()
    for length in (0, 1, 63, 64, 65, 200):
        assert not verify(leaf, 3, 9, [leaf] * length, tree.root(9)).call()
        assert not verify(leaf, 5, UINT64_MAX, [leaf] * length, tree.root(9)).call()


def test_anchor_gas_stays_within_the_target(deployment: Deployment) -> None:
    # benchmarks/gas_anchor.py prints the full table; this holds the line the issue set:
    # an extension at about 2^20 leaves, with the longest proof there, costs <= 120,000 gas.
    def uniform_node(level: int, index: int) -> bytes:
        node = merkle.leaf_hash(b"uniform")
        for _ in range(level):
            node = merkle.node_hash(node, node)
        return node

    d = deployment
    old, new = (1 << 20) - 1, (1 << 20) + (1 << 10) - 1
    proof = merkle.consistency_proof_from_nodes(uniform_node, old, new)
    old_root = merkle.root_from_nodes(uniform_node, old)
    new_root = merkle.root_from_nodes(uniform_node, new)
    anchored(d, d.writer, old, old_root, [])
    _, receipt = anchored(d, d.writer, new, new_root, proof)
    assert len(proof) == 22
    assert receipt["gasUsed"] <= 120_000


def test_the_address_mask_is_pushed_not_computed() -> None:
    # The optimizer pushes 0xff..ff (160 bits) as a constant while the runtime holds few
    # enough copies of it, and computes it (PUSH1 1 PUSH1 160 SHL SUB) beyond that, which
    # adds 24 gas to every anchor (docs/CONTRACT.md, Gas). Code that adds address arguments
    # can tip it over; this says so before the gas table does.
    runtime = load_artifact().deployed_bytecode
    assert bytes.fromhex("73" + "ff" * 20) in runtime
    assert bytes.fromhex("600160a01b03") not in runtime
