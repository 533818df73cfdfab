"""Clique (EIP-225) sealing rules the embedded chain applies on top of py-evm.

py-evm's `eth.consensus.clique` checks seals and tallies votes; this module holds what it
leaves to the block producer: the layout of a header's extra-data, signing (py-evm
recovers the fee recipient from the seal, so a header is signed provisionally before its
transactions run and signed again once its roots are final), whose turn it is, and which
vote a sealer casts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth.consensus.clique.constants import NONCE_AUTH, NONCE_DROP, SIGNATURE_LENGTH
from eth_keys.datatypes import PrivateKey
from eth_keys.exceptions import BadSignature

ZERO_ADDRESS = bytes(20)
DIFFICULTY_IN_TURN = 2
DIFFICULTY_OUT_OF_TURN = 1


@dataclass(frozen=True)
class Proposal:
    """A vote this node's sealer casts in every block it seals while the vote is valid."""

    subject: bytes
    authorize: bool


def extra_data(vanity: bytes, checkpoint_signers: Sequence[bytes] = ()) -> bytes:
    """Header extra-data with an empty (all-zero) seal: vanity, [signers], 65-byte seal.

    Requires: `vanity` is 32 bytes; `checkpoint_signers` only on checkpoint blocks
    (number % epoch == 0), sorted as EIP-225 lists them.
    """
    return vanity + b"".join(checkpoint_signers) + bytes(SIGNATURE_LENGTH)


def sign_header(header: BlockHeaderAPI, key: PrivateKey) -> BlockHeaderAPI:
    """Return `header` with its seal replaced by `key`'s signature over the rest of it."""
    signed: BlockHeaderAPI = sign_block_header(header, key)
    return signed


def header_sealer(header: BlockHeaderAPI) -> bytes | None:
    """The address that signed `header`, or None when the seal cannot be recovered."""
    try:
        return bytes(get_block_signer(header))
    except (ValueError, BadSignature):
        return None


def is_in_turn(block_number: int, signer: bytes, sorted_signers: Sequence[bytes]) -> bool:
    """EIP-225: the signer at index `number % len(signers)` of the sorted list is in turn."""
    if signer not in sorted_signers:
        return False
    return block_number % len(sorted_signers) == list(sorted_signers).index(signer)


def sealing_difficulty(block_number: int, signer: bytes, sorted_signers: Sequence[bytes]) -> int:
    in_turn = is_in_turn(block_number, signer, sorted_signers)
    return DIFFICULTY_IN_TURN if in_turn else DIFFICULTY_OUT_OF_TURN


def is_checkpoint(block_number: int, epoch: int) -> bool:
    return block_number % epoch == 0


def choose_vote(
    proposals: Iterable[Proposal], signers: Sequence[bytes], sealer: bytes
) -> tuple[bytes, bytes]:
    """The (coinbase, nonce) pair of the next vote, or a no-vote (zero coinbase).

    A proposal is cast only while it would change something (authorise a non-signer,
    drop a signer), as geth's sealer does; the first such proposal wins. A sealer never
    votes itself out: py-evm 0.12's tally fails (ValueError in `SnapshotManager.apply`)
    when a drop vote passes while the dropped signer's own vote against itself is
    pending, so the other authorities remove a signer.
    """
    for proposal in proposals:
        if proposal.subject == sealer and not proposal.authorize:
            continue
        if proposal.authorize and proposal.subject not in signers:
            return proposal.subject, NONCE_AUTH
        if not proposal.authorize and proposal.subject in signers:
            return proposal.subject, NONCE_DROP
    return ZERO_ADDRESS, NONCE_DROP
