"""The witness: a small service that checks each new checkpoint of the logs it follows is
consistent with the last one it saw, and cosigns it with a timestamp (C2SP tlog-witness,
tlog-cosignature; docs/WITNESS.md).

A court or a regulator runs it on its own machine: it imports only the protocol and the
verifiers of evanchor (ARCHITECTURE.md), never the log, the chain or the node.
"""
