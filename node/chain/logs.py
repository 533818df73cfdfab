"""Log queries: which logs of which blocks match an address and topic filter.

Each block's header bloom is checked first, so blocks without a possible match cost one
header read (~70 us here). Limits (why they exist): a query spans at most `MAX_BLOCK_RANGE`
blocks and returns at most `MAX_RESULTS` logs, and a scan stops at its time limit, so that
one request costs a bounded share of the node; callers page by block range, as with
hosted endpoints (evanchor's own client reads in windows of 1,000 blocks).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, LogAPI
from eth_bloom.bloom import BloomFilter

from evanchor.node.chain.embedded import NO_TIME_LIMIT, EmbeddedChain, ReceiptInfo, TimeLimit
from evanchor.node.chain.errors import ChainError, TimeLimitReached

MAX_BLOCK_RANGE = 10_000
"""Blocks one query may span (as QuickNode's 10,000; Besu's default is 5,000): under a
second of scanning on the project's machine."""
MAX_RESULTS = 10_000
"""Logs one query may return (as Infura's 10,000)."""


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
    # An empty bloom means a block without logs: no need to read its receipts.
    if not header.bloom or not log_filter.may_match(header.bloom):
        return
    for info in chain.receipts(header):
        for offset, log in enumerate(info.receipt.logs):
            if log_filter.matches(log):
                yield info, log, offset


def check_range(first: int, last: int, max_blocks: int = MAX_BLOCK_RANGE) -> int:
    """The number of blocks in `first`..`last` (0 if empty); `LogQueryTooLarge` over
    `max_blocks`. Requires: `last` already clamped to the head."""
    blocks = max(0, last - first + 1)
    if blocks > max_blocks:
        raise LogQueryTooLarge("block range", max_blocks, blocks)
    return blocks


def query_logs(
    chain: EmbeddedChain,
    first: int,
    last: int,
    log_filter: LogFilter,
    *,
    max_blocks: int = MAX_BLOCK_RANGE,
    max_results: int = MAX_RESULTS,
    limit: TimeLimit = NO_TIME_LIMIT,
) -> list[tuple[ReceiptInfo, LogAPI, int]]:
    """Matching logs of canonical blocks `first`..`last` inclusive.

    Requires: 0 <= first; `last` is clamped to the head. Raises `LogQueryTooLarge` (range
    or results), `TimeLimitReached` once `limit` passes (checked before each block).
    """
    last = min(last, chain.head.block_number)
    check_range(first, last, max_blocks)
    found: list[tuple[ReceiptInfo, LogAPI, int]] = []
    for number in range(first, last + 1):
        if limit.deadline is not None and time.monotonic() >= limit.deadline:
            raise TimeLimitReached("log query", limit.seconds)
        found.extend(block_logs(chain, chain.header_by_number(number), log_filter))
        if len(found) > max_results:
            raise LogQueryTooLarge("results", max_results, len(found))
    return found


def logs_in(
    chain: EmbeddedChain, headers: Sequence[BlockHeaderAPI], log_filter: LogFilter
) -> list[tuple[ReceiptInfo, LogAPI, int]]:
    return [item for header in headers for item in block_logs(chain, header, log_filter)]
