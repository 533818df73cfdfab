"""Ethereum JSON-RPC encodings of blocks, transactions, receipts and logs.

Quantities are minimal ``0x`` hex, byte strings ``0x`` hex, addresses lowercase hex —
the shapes geth returns, which web3.py and foundry's alloy types parse.
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, LogAPI, SignedTransactionAPI

from evanchor.node.chain.embedded import EmbeddedChain, ReceiptInfo
from evanchor.node.chain.txpool import fee_cap, tip_cap

Json = Any
LEGACY_TYPE = 0


def quantity(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + value.hex()


def address(value: bytes | None) -> str | None:
    return None if value is None or value == b"" else "0x" + value.hex()


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def format_header(chain: EmbeddedChain, header: BlockHeaderAPI, size: int) -> dict[str, Json]:
    out: dict[str, Json] = {
        "number": quantity(header.block_number),
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "nonce": data(header.nonce),
        "mixHash": data(header.mix_hash),
        "sha3Uncles": data(header.uncles_hash),
        "logsBloom": data(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": data(header.transaction_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipt_root),
        "miner": address(header.coinbase) or "0x" + "00" * 20,
        "difficulty": quantity(header.difficulty),
        "totalDifficulty": quantity(chain.total_difficulty(header)),
        "extraData": data(header.extra_data),
        "size": quantity(size),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "uncles": [],
    }
    if header.base_fee_per_gas is not None:
        out["baseFeePerGas"] = quantity(header.base_fee_per_gas)
    return out


def format_block(chain: EmbeddedChain, block: BlockAPI, full: bool) -> dict[str, Json]:
    header = block.header
    out = format_header(chain, header, len(chain.block_rlp(header)))
    if full:
        senders = [bytes(tx.sender) for tx in block.transactions]
        out["transactions"] = [
            format_transaction(tx, sender, header, index)
            for index, (tx, sender) in enumerate(zip(block.transactions, senders, strict=True))
        ]
    else:
        out["transactions"] = [data(tx.hash) for tx in block.transactions]
    return out


def transaction_type(tx: SignedTransactionAPI) -> int:
    type_id: int | None = getattr(tx, "type_id", None)
    return LEGACY_TYPE if type_id is None else type_id


def format_transaction(
    tx: SignedTransactionAPI,
    sender: bytes,
    header: BlockHeaderAPI | None,
    index: int | None,
) -> dict[str, Json]:
    """A transaction object; `header`/`index` None for a pooled (pending) one."""
    kind = transaction_type(tx)
    if header is not None and header.base_fee_per_gas is not None:
        price = min(fee_cap(tx), header.base_fee_per_gas + tip_cap(tx))
    else:
        price = fee_cap(tx)
    out: dict[str, Json] = {
        "hash": data(tx.hash),
        "type": quantity(kind),
        "nonce": quantity(tx.nonce),
        "blockHash": None if header is None else data(header.hash),
        "blockNumber": None if header is None else quantity(header.block_number),
        "transactionIndex": None if index is None else quantity(index),
        "from": address(sender),
        "to": address(tx.to),
        "value": quantity(tx.value),
        "gas": quantity(tx.gas),
        "gasPrice": quantity(price),
        "input": data(tx.data),
        "r": quantity(tx.r),
        "s": quantity(tx.s),
    }
    if kind == LEGACY_TYPE:
        legacy_v: int = getattr(tx, "v")  # noqa: B009 - legacy transactions only
        out["v"] = quantity(legacy_v)
        if tx.chain_id is not None:
            out["chainId"] = quantity(tx.chain_id)
    else:
        out["v"] = quantity(tx.y_parity)
        out["yParity"] = quantity(tx.y_parity)
        out["chainId"] = quantity(tx.chain_id or 0)
        out["accessList"] = [
            {"address": address(account), "storageKeys": [word(slot) for slot in slots]}
            for account, slots in tx.access_list
        ]
        if kind >= 2:
            out["maxFeePerGas"] = quantity(fee_cap(tx))
            out["maxPriorityFeePerGas"] = quantity(tip_cap(tx))
    return out


def format_log(info: ReceiptInfo, log: LogAPI, offset: int) -> dict[str, Json]:
    return {
        "address": address(log.address),
        "topics": [word(topic) for topic in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(info.header.block_number),
        "blockHash": data(info.header.hash),
        "blockTimestamp": quantity(info.header.timestamp),
        "transactionHash": data(info.transaction.hash),
        "transactionIndex": quantity(info.index),
        "logIndex": quantity(info.first_log_index + offset),
        "removed": False,
    }


def format_receipt(info: ReceiptInfo) -> dict[str, Json]:
    receipt = info.receipt
    return {
        "transactionHash": data(info.transaction.hash),
        "transactionIndex": quantity(info.index),
        "blockHash": data(info.header.hash),
        "blockNumber": quantity(info.header.block_number),
        "from": address(info.sender),
        "to": address(info.transaction.to),
        "cumulativeGasUsed": quantity(receipt.gas_used),
        "gasUsed": quantity(info.gas_used),
        "effectiveGasPrice": quantity(info.effective_gas_price),
        "contractAddress": address(info.contract_address),
        "logs": [format_log(info, log, i) for i, log in enumerate(receipt.logs)],
        "logsBloom": data(receipt.bloom.to_bytes(256, "big")),
        "type": quantity(transaction_type(info.transaction)),
        "status": quantity(1 if info.succeeded else 0),
    }
