"""The embedded permissioned EVM chain and the node daemon."""
