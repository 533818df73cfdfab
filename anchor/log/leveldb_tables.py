"""The first key of each of a LevelDB database's tables, read from its `leveldb.sstables`
property, so that a store can open every table when it opens rather than on first use.

LevelDB opens a table (reading its index block and Bloom filter) the first time a read
falls in its key range, and keeps it open in its table cache. In a large log that first
open is most of a request's cost: a node freshly started over a 10 M-record log (2,400
tables) answered its first bundles in ~19 ms each, later ones in ~1.6 ms
(benchmarks/year_scale.py). One keyed read of each table's first key opens it.

The property lists every table as ` NUMBER:SIZE['SMALLEST' @ SEQ : TYPE .. 'LARGEST' @ SEQ
: TYPE]`, one per line under `--- level N ---` headings, each key escaped by LevelDB's
`EscapeString`: bytes from ' ' to '~' as they are, every other byte as `\\xNN`. The escape
is ambiguous for a key holding a backslash followed by `x` and two hex digits; such a key
is read back wrongly, its read misses, and that one table opens on first use as before.
"""

from __future__ import annotations

import re

_TABLE = re.compile(rb"^ \d+:\d+\['(.*?)' @ \d+ : \d+ \.\. '")
_ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")


def table_first_keys(sstables: bytes) -> list[bytes]:
    """The smallest key of every table listed in a `leveldb.sstables` property, in the
    order listed (level 0 first)."""
    keys = []
    for line in sstables.splitlines():
        found = _TABLE.match(line)
        if found is not None:
            keys.append(_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), found[1]))
    return keys
