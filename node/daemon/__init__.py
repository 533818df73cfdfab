"""The node daemon: the node folder and its configuration, provisioning, the service and its
HTTP API, the composition of chain, log, batcher and anchorer, and the API's client."""
