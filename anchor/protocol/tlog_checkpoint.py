"""C2SP tlog-checkpoint bodies: the text a log signs for one tree head (PROTOCOL.md §10).

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <root hash, standard base64>\\n
    [<extension line>\\n ...]

evanchor's logs are named by their identity (DESIGN decision 2), and the origin says it:

    evanchor/<chain id>/<contract>/<writer>        an anchoring log (addresses EIP-55)
    evanchor/log-only/<hex SHA-256(public key)[:16]>   a log that anchors nowhere

The log's note key is named by the origin, as c2sp.org/tlog-checkpoint recommends, so the
signature line names the log too. Parsing is strict: a text parsed and formatted again
gives the same bytes, so that a signature is over exactly one checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from evanchor.anchor.protocol.errors import CheckpointBodyMalformed

ROOT_SIZE = 32
ORIGIN_PREFIX = "evanchor"
LOG_ONLY_PREFIX = f"{ORIGIN_PREFIX}/log-only/"


@dataclass(frozen=True)
class CheckpointBody:
    """A log's tree head as a checkpoint: `origin`, `size`, `root` and optional extensions.

    Extension lines are opaque and not auditable (the documents advise against them);
    evanchor writes none but keeps those it reads, since a signature covers them.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointBodyMalformed(1, "the origin is empty or holds a newline")
        if not 0 <= self.size < 2**64:
            raise CheckpointBodyMalformed(2, f"tree size {self.size} is not a uint64")
        if len(self.root) != ROOT_SIZE:
            raise CheckpointBodyMalformed(3, f"the root is {len(self.root)} bytes, not 32")
        for number, line in enumerate(self.extensions, start=4):
            if not line or "\n" in line:
                raise CheckpointBodyMalformed(number, "an extension line is empty or multi-line")

    def text(self) -> str:
        root = base64.b64encode(self.root).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint_body(text: str) -> CheckpointBody:
    """The checkpoint a note text holds. Rejects anything `CheckpointBody.text` would not
    write back byte for byte (leading zeros, non-canonical base64, empty lines)."""
    if not text.endswith("\n"):
        raise CheckpointBodyMalformed(1, "the text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointBodyMalformed(len(lines), "expected origin, size and root lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointBodyMalformed(1, "the origin is empty")
    if not size_text.isascii() or not size_text.isdigit():
        raise CheckpointBodyMalformed(2, f"tree size {size_text!r} is not a decimal number")
    if size_text != str(int(size_text)):
        raise CheckpointBodyMalformed(2, f"tree size {size_text!r} has leading zeros")
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointBodyMalformed(3, f"root {root_text!r} is not base64") from None
    if len(root) != ROOT_SIZE or base64.b64encode(root).decode() != root_text:
        raise CheckpointBodyMalformed(3, f"root {root_text!r} is not a canonical 32-byte hash")
    for number, line in enumerate(extensions, start=4):
        if not line:
            raise CheckpointBodyMalformed(number, "empty extension line")
    size = int(size_text)
    if size >= 2**64:
        raise CheckpointBodyMalformed(2, f"tree size {size} is not a uint64")
    return CheckpointBody(origin, size, root, tuple(extensions))


def anchored_log_origin(chain_id: int, contract: str, writer: str) -> str:
    """The origin of the log of (chain id, contract, writer); addresses as given (EIP-55)."""
    return f"{ORIGIN_PREFIX}/{chain_id}/{contract}/{writer}"


def log_only_origin(public_key: bytes) -> str:
    """The origin of a log that anchors nowhere: named by its key, since it has no chain."""
    return f"{LOG_ONLY_PREFIX}{hashlib.sha256(public_key).hexdigest()[:32]}"
