"""Authority changes through Clique votes (EIP-225), carried in sealed headers."""

from __future__ import annotations

import time

import pytest
from eth_keys.datatypes import PrivateKey

from evanchor.node.chain import clique
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import BlockRejected, SealerNotAuthority

from chain_helpers import Actors, make_genesis, signed_tx


def _sync(nodes: list[EmbeddedChain], leader: EmbeddedChain) -> None:
    for follower in nodes:
        if follower is leader:
            continue
        for number in range(follower.head.block_number + 1, leader.head.block_number + 1):
            follower.import_block(leader.block(leader.header_by_number(number)))


def _seal_and_sync(nodes: list[EmbeddedChain], leader: EmbeddedChain) -> None:
    assert leader.seal_block(allow_empty=True) is not None
    _sync(nodes, leader)


def test_votes_add_then_remove_an_authority(actors: Actors) -> None:
    key_b, key_c = PrivateKey(b"\x55" * 32), PrivateKey(b"\x66" * 32)
    addr_a = actors.sealer_address
    addr_b = bytes(key_b.public_key.to_canonical_address())
    addr_c = bytes(key_c.public_key.to_canonical_address())
    genesis = make_genesis(actors, timestamp=int(time.time()) - 60)
    a, b, c = (EmbeddedChain.in_memory(genesis, k) for k in (actors.sealer, key_b, key_c))
    nodes = [a, b, c]

    with pytest.raises(SealerNotAuthority):
        b.seal_block(allow_empty=True)

    # A is the only authority, so its single vote is a majority.
    a.propose(addr_b, authorize=True)
    vote_block = a.seal_block(allow_empty=True)
    assert vote_block is not None
    assert vote_block.header.coinbase == addr_b
    assert vote_block.header.nonce == clique.NONCE_AUTH
    _sync(nodes, a)
    assert a.authorities() == b.authorities() == tuple(sorted((addr_a, addr_b)))
    # The vote is spent: the next block carries none.
    a.add_transaction(signed_tx(actors.writer, 0))
    plain = a.seal_block()
    assert plain is not None
    assert plain.header.coinbase == bytes(20)
    _sync(nodes, a)

    # With two signers, adding C takes both votes.
    a.propose(addr_c, authorize=True)
    b.propose(addr_c, authorize=True)
    _seal_and_sync(nodes, a)
    assert addr_c not in c.authorities()
    _seal_and_sync(nodes, b)
    assert c.authorities() == tuple(sorted((addr_a, addr_b, addr_c)))

    # Dropping A takes two of three: B and C.
    b.propose(addr_a, authorize=False)
    c.propose(addr_a, authorize=False)
    _seal_and_sync(nodes, b)
    assert addr_a in a.authorities()
    _seal_and_sync(nodes, c)
    expected = tuple(sorted((addr_b, addr_c)))
    assert a.authorities() == b.authorities() == c.authorities() == expected

    # A is out: it may not seal, and a block it seals anyway is refused on import.
    with pytest.raises(SealerNotAuthority):
        a.seal_block(allow_empty=True)
    head = b.seal_block(allow_empty=True)
    assert head is not None
    forged = head.copy(header=clique.sign_header(head.header, actors.sealer))
    with pytest.raises(BlockRejected) as rejected:
        c.import_block(forged)
    assert rejected.value.field == "seal"
    c.import_block(head)
    assert c.head == b.head


def test_a_sealer_does_not_vote_itself_out(actors: Actors) -> None:
    genesis = make_genesis(actors, timestamp=int(time.time()) - 60)
    chain = EmbeddedChain.in_memory(genesis, actors.sealer)
    chain.propose(actors.sealer_address, authorize=False)
    block = chain.seal_block(allow_empty=True)
    assert block is not None
    assert block.header.coinbase == bytes(20)


def test_discarded_proposal_is_not_cast(actors: Actors) -> None:
    genesis = make_genesis(actors, timestamp=int(time.time()) - 60)
    chain = EmbeddedChain.in_memory(genesis, actors.sealer)
    subject = b"\x66" * 20
    chain.propose(subject, authorize=True)
    chain.discard(subject)
    assert chain.proposals == ()
    block = chain.seal_block(allow_empty=True)
    assert block is not None
    assert block.header.coinbase == bytes(20)
    assert chain.authorities() == (actors.sealer_address,)
