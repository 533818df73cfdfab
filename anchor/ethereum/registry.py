"""The agencies registered in the anchor contract, followed from its events.

The node checks every submission's signer against this map. It is built from the contract's
`AgencyRegistered` / `AgencyRevoked` events (in chain order, so a re-registration or a
revocation replaces what came before) and refreshed incrementally from the last block seen.
Refreshing talks to the chain; looking up never does, so the request path never waits on
JSON-RPC.
"""

from __future__ import annotations

import threading

from eth_utils.address import to_checksum_address

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.submission import Revocation


class AgencyRegistry:
    def __init__(self, anchor: cc.AnchorContract, from_block: int = 0) -> None:
        self._anchor = anchor
        self._next_block = from_block
        self._codes: dict[str, str] = {}
        self._revoked: dict[str, Revocation] = {}
        self._lock = threading.Lock()

    def lookup(self, signer: str) -> str | None:
        """The credit code `signer` (any case of the address) is registered for now, or None.

        Recovered signers are already checksummed, so the map is asked directly first; the
        checksum (tens of microseconds) is computed only for an address in another case.
        """
        with self._lock:
            found = self._codes.get(signer)
            if found is not None or signer in self._codes:
                return found
            return self._codes.get(to_checksum_address(signer))

    def revocation(self, signer: str) -> Revocation | None:
        """How the registration of `signer` (no longer registered) ended, or None if it
        never was registered since the registry's first block."""
        with self._lock:
            found = self._revoked.get(signer)
            return found if found is not None else self._revoked.get(to_checksum_address(signer))

    def refresh(self) -> int:
        """Apply every registry event since the last refresh; return how many there were."""
        head = cc.block_number(self._anchor.w3)
        with self._lock:
            start = self._next_block
        if head < start:
            return 0
        events = cc.agency_events(self._anchor, from_block=start, to_block=head)
        with self._lock:
            for event in events:
                if event.credit_code is None:
                    code = self._codes.pop(event.agency, None)
                    if code is not None:
                        self._revoked[event.agency] = Revocation(code, event.block_number)
                else:
                    self._codes[event.agency] = event.credit_code
                    self._revoked.pop(event.agency, None)
            self._next_block = head + 1
        return len(events)

    def agencies(self) -> dict[str, str]:
        with self._lock:
            return dict(self._codes)
