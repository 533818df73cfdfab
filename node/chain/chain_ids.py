"""The chain ids a new embedded chain may take: the default and EIP-2294's bound.

Apart from `genesis.py` (which imports eth-utils) so that the command line can declare its
options without importing any of the chain side.
"""

from __future__ import annotations

DEFAULT_CHAIN_ID = 7107
"""Chain id of a new embedded chain (`evanchor init --chain-id` and `chain init --chain-id`
choose another). Not one of the ids development tools use (1337, 31337)."""
MAX_CHAIN_ID = 2**63 - 37
"""EIP-2294's bound, (2**64 - 1) // 2 - 36: EIP-155 signatures encode v = 2 * chainId + 35
or 36, which must fit the 64-bit integers clients keep it in."""
