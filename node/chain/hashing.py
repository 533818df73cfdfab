"""Choosing eth-hash's keccak backend for a node process.

eth-hash picks its backend at the first hash: pycryptodome if installed, else pysha3.
pysha3 (the `safe-pysha3` package) hashes a 64-byte input about six times faster, and a
node hashes trie nodes, headers and transactions constantly. `prefer_fast_keccak` selects
it through eth-hash's documented ``ETH_HASH_BACKEND`` switch when it is installed and the
operator has not chosen. Call it at process start, before anything hashes; the choice
is process-wide.
"""

from __future__ import annotations

import importlib.util
import os

BACKEND_VARIABLE = "ETH_HASH_BACKEND"


def prefer_fast_keccak() -> str:
    """Select pysha3 unless ETH_HASH_BACKEND is set or pysha3 is absent; return the choice."""
    chosen = os.environ.get(BACKEND_VARIABLE)
    if chosen:
        return chosen
    if importlib.util.find_spec("sha3") is None:
        return "auto"
    os.environ[BACKEND_VARIABLE] = "pysha3"
    return "pysha3"
