"""The evidence protocol: record schemas, canonical bytes, commitments, leaves, checkpoints,
the RFC 9162 tree and agency signatures (docs/PROTOCOL.md).

Everything here is pure: no storage, no network, no chain. The log builds on it, and a
verifier needs nothing else of evanchor's to recompute what a bundle claims.
"""
