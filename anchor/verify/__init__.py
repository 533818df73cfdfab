"""Verification: inclusion and consistency proofs, proof bundles and chain evidence.

Imports only the protocol (and the contract's committed artifacts, to recognise its code and
storage layout), never the code that builds what it checks, so a court can use it without
the node: see ARCHITECTURE.md.
"""
