"""The evidence log and everything a verifier needs, usable against any chain.

Keccak-256 (signatures, addresses, Merkle-Patricia proofs) goes through eth-hash, whose
automatic choice here is pycryptodome, about nine times slower than pysha3, a pinned
dependency. Unless the process chose a backend itself (ETH_HASH_BACKEND), pysha3 is chosen
before the first hash is taken: both compute the same function.
"""

import importlib.util
import os

if "ETH_HASH_BACKEND" not in os.environ and importlib.util.find_spec("sha3") is not None:
    os.environ["ETH_HASH_BACKEND"] = "pysha3"
