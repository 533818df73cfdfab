"""Export a chain as RLP blocks, and replay such an export into a fresh database.

Format: the concatenation of RLP-encoded blocks (``rlp([header, transactions, uncles])``
as in the block body of the wire protocol), block 0 first, no framing or header — what
``geth export`` writes (uncompressed). Each item is self-delimiting, so a reader walks
the file by RLP length prefixes.

Replay re-executes every block on a chain built from the genesis file alone and checks,
block by block, stopping at the first mismatch (`ReplayMismatch` names the block and the
field): block 0 equals the genesis-derived header; each next block's parent hash, header
rules, Clique seal (signer among the authorities at that height, in-turn difficulty,
votes), the allowlist of every sender, and after execution the transaction root, gas
used, bloom, receipt root, state root and block hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import rlp

from evanchor.node.chain.embedded import EmbeddedChain, expected_genesis_hash
from evanchor.node.chain.errors import BlockRejected, ExportFormatError, ReplayMismatch

SHORT_LIST = 0xC0
LONG_LIST = 0xF7


Progress = Callable[[int], None]
"""Told how many more blocks were exported or replayed (a progress display's `advance`)."""


def export_blocks(
    chain: EmbeddedChain,
    out: BinaryIO,
    first: int = 0,
    last: int | None = None,
    *,
    progress: Progress | None = None,
) -> int:
    """Write blocks `first`..`last` (default: the head) to `out`; return how many."""
    last = chain.head.block_number if last is None else last
    for number in range(first, last + 1):
        out.write(chain.block_rlp(chain.header_by_number(number)))
        if progress is not None:
            progress(1)
    return max(0, last - first + 1)


def read_items(source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Yield (byte offset, encoded item) for each top-level RLP list in `source`.

    Raises `ExportFormatError` on anything that is not a complete RLP list.
    """
    offset = 0
    while True:
        prefix = source.read(1)
        if not prefix:
            return
        first = prefix[0]
        if first < SHORT_LIST:
            raise ExportFormatError(offset, f"expected an RLP list, found prefix 0x{first:02x}")
        if first <= LONG_LIST:
            head, length = prefix, first - SHORT_LIST
        else:
            size_bytes = source.read(first - LONG_LIST)
            if len(size_bytes) != first - LONG_LIST:
                raise ExportFormatError(offset, "truncated RLP length")
            head, length = prefix + size_bytes, int.from_bytes(size_bytes, "big")
        body = source.read(length)
        if len(body) != length:
            raise ExportFormatError(
                offset, f"truncated block: expected {length} bytes, found {len(body)}"
            )
        yield offset, head + body
        offset += len(head) + length


@dataclass(frozen=True)
class ReplayReport:
    blocks: int  # blocks replayed after block 0
    head_number: int
    head_hash: bytes


def replay(
    source: BinaryIO, target: EmbeddedChain, *, progress: Progress | None = None
) -> ReplayReport:
    """Re-execute the export in `source` on `target`, a chain at its genesis block.

    Requires: `target` was built from the genesis the export claims (its block 0 is
    compared with the export's first block) and holds no other block yet.
    """
    if target.head.block_number != 0:
        raise ValueError("replay needs a fresh chain (head at block 0)")
    expected_number = 0
    for offset, encoded in read_items(source):
        try:
            block = target.decode_block(encoded)
        except (rlp.DecodingError, rlp.DeserializationError) as error:
            raise ReplayMismatch(
                expected_number, "rlp", "a decodable block", f"offset {offset}: {error}"
            ) from None
        if block.number != expected_number:
            raise ReplayMismatch(expected_number, "number", str(expected_number), str(block.number))
        if expected_number == 0:
            genesis_hash = expected_genesis_hash(target.genesis)
            if block.hash != genesis_hash:
                raise ReplayMismatch(
                    0, "genesis_hash", "0x" + genesis_hash.hex(), "0x" + block.hash.hex()
                )
        else:
            try:
                target.import_block(block)
            except BlockRejected as rejected:
                raise ReplayMismatch(
                    rejected.block_number, rejected.field, rejected.expected, rejected.found
                ) from None
        expected_number += 1
        if progress is not None:
            progress(1)
    if expected_number == 0:
        raise ExportFormatError(0, "empty export: no blocks")
    head = target.head
    return ReplayReport(head.block_number, head.block_number, bytes(head.hash))
