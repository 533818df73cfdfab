"""The permission rule: only allowlisted accounts may send transactions.

The list is fixed in the genesis file. It is enforced twice: at admission (a
non-allowlisted sender's transaction never enters the pool) and at import and replay (a
block carrying such a transaction is rejected), so a misbehaving sealer cannot slip one in.
Contract roles (who may anchor) apply on top, inside the EVM.
"""

from __future__ import annotations

from dataclasses import dataclass

from evanchor.node.chain.errors import SenderNotAllowlisted


@dataclass(frozen=True)
class Allowlist:
    accounts: frozenset[bytes]

    def __contains__(self, account: object) -> bool:
        return account in self.accounts

    def check(self, sender: bytes) -> None:
        """Raise `SenderNotAllowlisted` unless `sender` may transact."""
        if sender not in self.accounts:
            raise SenderNotAllowlisted(sender)
