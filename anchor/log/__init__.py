"""The evidence log: the LevelDB store, ingest of records and signed submissions, proof
bundles built from the log, and the audit of the log's own contents."""
