"""The embedded permissioned EVM chain and the node daemon.

The chain (docs/CHAIN.md): `evanchor.node.datadir.open_chain(path)` opens a data directory
as an `evanchor.node.chain.EmbeddedChain` (py-evm under Clique, state and blocks in LevelDB);
`evanchor.node.rpc_http.setup_rpc(app, chain, path=...)` mounts its standard Ethereum
JSON-RPC endpoint and block sealer on an aiohttp application, `create_rpc_app(chain)` makes
a stand-alone one; `evanchor.node.export` writes and replays RLP block exports.
"""
