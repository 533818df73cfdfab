"""The embedded permissioned EVM chain (`evanchor.node.chain`) and the node daemon that
composes chain, log, batcher, anchorer and HTTP API (`evanchor.node.daemon`)."""
