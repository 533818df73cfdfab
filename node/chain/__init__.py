"""The embedded permissioned EVM chain (docs/CHAIN.md): py-evm under Clique, state and blocks
in LevelDB, the standard Ethereum JSON-RPC over HTTP, exports and replays.

`evanchor.node.chain.datadir.open_chain(path)` opens a data directory as an
`evanchor.node.chain.embedded.EmbeddedChain`; `evanchor.node.chain.rpc_http.setup_rpc(app,
chain, path=...)` mounts its JSON-RPC endpoint and block sealer on an aiohttp application,
`create_rpc_app(chain)` makes a stand-alone one; `evanchor.node.chain.export` writes and
replays RLP block exports. Nothing here knows about the evidence log.
"""
