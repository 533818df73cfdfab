"""Log queries: which logs of which blocks match an address and topic filter.

Each block's header bloom is checked first, so blocks without a possible match cost one
header read. Limits (why they exist): a query spans at most `MAX_BLOCK_RANGE` blocks and
returns at most `MAX_RESULTS` logs, so one request cannot hold the node's single event
loop for long; callers page by block range, as with hosted endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, LogAPI
from eth_bloom.bloom import BloomFilter

from evanchor.node.chain.embedded import EmbeddedChain, ReceiptInfo
from evanchor.node.chain.errors import ChainError

MAX_BLOCK_RANGE = 100_000
MAX_RESULTS = 10_000


class LogQueryTooLarge(ChainError):
    def __init__(self, what: str, limit: int, found: int) -> None:
        super().__init__(f"log query too large: {what} limit {limit}, asked for {found}")
        self.limit = limit
        self.found = found


@dataclass(frozen=True)
class LogFilter:
    """Addresses (any of; empty = all) and topics by position.

    Each topic position is None (anything) or a tuple of alternatives (any of).
    """

    addresses: tuple[bytes, ...] = ()
    topics: tuple[tuple[int, ...] | None, ...] = ()

    def matches(self, log: LogAPI) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        if len(self.topics) > len(log.topics):
            return False
        return all(
            wanted is None or topic in wanted
            for wanted, topic in zip(self.topics, log.topics, strict=False)
        )

    def may_match(self, bloom: int) -> bool:
        """False only when the block's bloom rules every log out."""
        bits = BloomFilter(bloom)
        if self.addresses and not any(a in bits for a in self.addresses):
            return False
        for wanted in self.topics:
            if wanted is not None and not any(t.to_bytes(32, "big") in bits for t in wanted):
                return False
        return True


def block_logs(
    chain: EmbeddedChain, header: BlockHeaderAPI, log_filter: LogFilter
) -> Iterator[tuple[ReceiptInfo, LogAPI, int]]:
    """Matching (receipt, log, position in receipt) triples of one block, in order."""
    if not log_filter.may_match(header.bloom):
        return
    for info in chain.receipts(header):
        for offset, log in enumerate(info.receipt.logs):
            if log_filter.matches(log):
                yield info, log, offset


def query_logs(
    chain: EmbeddedChain, first: int, last: int, log_filter: LogFilter
) -> list[tuple[ReceiptInfo, LogAPI, int]]:
    """Matching logs of canonical blocks `first`..`last` inclusive.

    Requires: 0 <= first; `last` is clamped to the head. Raises `LogQueryTooLarge`.
    """
    last = min(last, chain.head.block_number)
    if last - first + 1 > MAX_BLOCK_RANGE:
        raise LogQueryTooLarge("block range", MAX_BLOCK_RANGE, last - first + 1)
    found: list[tuple[ReceiptInfo, LogAPI, int]] = []
    for number in range(first, last + 1):
        found.extend(block_logs(chain, chain.header_by_number(number), log_filter))
        if len(found) > MAX_RESULTS:
            raise LogQueryTooLarge("results", MAX_RESULTS, len(found))
    return found


def logs_in(
    chain: EmbeddedChain, headers: Sequence[BlockHeaderAPI], log_filter: LogFilter
) -> list[tuple[ReceiptInfo, LogAPI, int]]:
    return [item for header in headers for item in block_logs(chain, header, log_filter)]
