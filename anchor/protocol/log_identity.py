"""The log's identity: (chain id, contract, writer), DESIGN decision 2.

One log is the checkpoints one writer anchors in one EvidenceAnchor contract on one chain.
The anchorer binds the store to it, the audit reads the chain for it, and the seal leaf
commits to it (with the chain's genesis hash, `seal_leaf.AnchorTarget`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogIdentity:
    """(chain id, contract, writer): which log on which chain.

    The addresses are kept as given; comparing two identities from different sources
    (a node's configuration, a chain's answer) is for the caller to do on checksummed forms.
    """

    chain_id: int
    contract: str
    writer: str

    def as_json(self) -> dict[str, int | str]:
        return {"chain_id": self.chain_id, "contract": self.contract, "writer": self.writer}
