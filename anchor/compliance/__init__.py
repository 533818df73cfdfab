"""Compliance: rule sets as data, the flags and ratings they give over anchored records.

A regulator takes a node's log, or a set of proof bundles verified first, and recomputes
every flag: the engine is pure (records in, flags out), so two people with the same records
and the same rule set (named by its digest) get the same report. See docs/COMPLIANCE.md.
"""
