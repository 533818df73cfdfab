"""Contract addresses of creations: known answers (a widely published sender's first ones)."""

from __future__ import annotations

import pytest

from evanchor.node.chain.embedded import created_address

SENDER = bytes.fromhex("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")


@pytest.mark.parametrize(
    ("nonce", "address"),
    [
        (0, "cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"),
        (1, "343c43a37d37dff08ae8c4a11544c718abb4fcf8"),
        (2, "f778b86fa74e846c4f0a1fbd1335fe81c00a0c91"),
        (3, "fffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c"),
    ],
)
def test_created_address(nonce: int, address: str) -> None:
    assert created_address(SENDER, nonce).hex() == address
