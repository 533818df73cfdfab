"""Solidity sources, the pinned compiler set-up and the committed build artifacts."""
