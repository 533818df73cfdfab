"""The `evanchor` command line."""
