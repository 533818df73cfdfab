"""The Ethereum side of the log, usable against any JSON-RPC chain: the web3 client of the
EvidenceAnchor contract, the anchorer, anchor evidence collection, the agency registry and the
audit of a log against its chain."""
