"""Errors for bad input: malformed JSON, values JSON cannot carry exactly, invalid records.

Every class carries the facts (offset, line, column, field path, limit) and renders one line
that names where the fault is. The location prefix is shared: an error may know the file or
stream it came from (`source`), the line of a `.jsonl` file (`line`) and the position of an
element in a `.json` array (`item`); whichever are known are put in front of the detail:

    samples.jsonl: line 17: amount.minor_units: expected an integer number of minor units, ...

Constructors take only the facts of the fault; whoever knows the location (the `.jsonl`
reader knows the line number, the CLI the file name) sets it with `located()`, which returns
the same error so that `raise DuplicateKey(path, key).located(line=n)` reads in one line.
"""

from __future__ import annotations

import json
import re
from typing import Self

from evanchor.anchor.errors import EvanchorError


class InputError(EvanchorError):
    """Root of every error about what a user submitted (as opposed to node or chain failures).

    Subclasses implement `detail()`; `str(error)` is the location prefix plus that detail,
    always one line.
    """

    def __init__(self) -> None:
        super().__init__()
        self.line: int | None = None
        self.item: int | None = None
        self.source: str | None = None

    def detail(self) -> str:
        """The message without the location prefix."""
        raise NotImplementedError

    def located(
        self, *, line: int | None = None, item: int | None = None, source: str | None = None
    ) -> Self:
        """Fill in whichever location facts are given; returns `self`."""
        if line is not None:
            self.line = line
        if item is not None:
            self.item = item
        if source is not None:
            self.source = source
        return self

    def location(self) -> str:
        """`source: line N` or `source: item N`, unknown parts left out ("" if none is known)."""
        position: list[str] = []
        if self.line is not None:
            position.append(f"line {self.line}")
        if self.item is not None:
            position.append(f"item {self.item}")
        parts = [self.source] if self.source else []
        if position:
            parts.append(" ".join(position))
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.detail()}" if where else self.detail()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InputTooLarge(InputError):
    """The input is over a size limit; it was rejected before parsing."""

    def __init__(self, size: int, limit: int, *, what: str = "record") -> None:
        super().__init__()
        self.size = size
        self.limit = limit
        self.what = what

    def detail(self) -> str:
        return f"{self.what} is {self.size} bytes, over the limit of {self.limit} bytes"


class InvalidUTF8(InputError):
    """The bytes are not UTF-8. `offset` counts from the start of the document or line."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__()
        self.offset = offset
        self.reason = reason

    def detail(self) -> str:
        of_what = " of the line" if self.line is not None else ""
        return f"invalid UTF-8 at byte offset {self.offset}{of_what} ({self.reason})"


class ByteOrderMark(InputError):
    """The input starts with a UTF-8 byte order mark, which RFC 8259 §8.1 forbids emitting."""

    def detail(self) -> str:
        return "starts with a byte order mark (U+FEFF); save it as UTF-8 without BOM"


class MalformedJSON(InputError):
    """The text is not JSON. `doc_line` and `column` are 1-based, within the parsed text."""

    def __init__(self, doc_line: int, column: int, reason: str) -> None:
        super().__init__()
        self.doc_line = doc_line
        self.column = column
        self.reason = reason

    def detail(self) -> str:
        # A `.jsonl` line is a one-line document: its own line number says all.
        if self.line is not None and self.doc_line == 1:
            return f"malformed JSON at column {self.column}: {self.reason}"
        return f"malformed JSON at line {self.doc_line} column {self.column}: {self.reason}"


class TooDeep(InputError):
    """Arrays and objects nest deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def detail(self) -> str:
        return f"arrays and objects nest deeper than {self.limit} levels"


class NotAnObject(InputError):
    """A record must be a JSON object; something else was found."""

    def __init__(self, found: str) -> None:
        super().__init__()
        self.found = found

    def detail(self) -> str:
        return f"expected a JSON object, found {self.found}"


class DuplicateKey(InputError):
    """An object names the same key twice; `path` is the path of the repeated member.

    Parsers disagree about which of the two values wins, so a record with a duplicate key
    could mean different things to the node and to a verifier (RFC 8259 §4, RFC 7493 §2.3).
    """

    def __init__(self, path: str, key: str) -> None:
        super().__init__()
        self.path = path
        self.key = key

    def detail(self) -> str:
        return f"{self.path}: duplicate object key {_quote(self.key)}"


class NumberOutOfRange(InputError):
    """A number that an IEEE 754 double cannot hold exactly (RFC 7493 §2.2, RFC 8785 §3.2.2.3).

    `text` is the number as written, shortened if it is long.
    """

    def __init__(self, path: str, text: str, reason: str) -> None:
        super().__init__()
        self.path = path
        self.text = text
        self.reason = reason

    def detail(self) -> str:
        shown = self.text if len(self.text) <= 24 else self.text[:20] + "..."
        return f"{self.path}: number {shown} {self.reason}"


class NonFiniteNumber(InputError):
    """`NaN`, `Infinity` or `-Infinity`: Python's parser accepts them, JSON does not."""

    def __init__(self, path: str, literal: str) -> None:
        super().__init__()
        self.path = path
        self.literal = literal

    def detail(self) -> str:
        return f"{self.path}: {self.literal} is not a JSON number"


class LoneSurrogate(InputError):
    """A string (or key) holds an unpaired UTF-16 surrogate escape such as `\\ud800`.

    Such a string has no UTF-8 form, so it cannot be canonicalised (RFC 8785 §3.2.2.2).
    """

    def __init__(self, path: str, code_point: int) -> None:
        super().__init__()
        self.path = path
        self.code_point = code_point

    def detail(self) -> str:
        return f"{self.path}: string holds a lone surrogate \\u{self.code_point:04x}"


class RecordInvalid(InputError):
    """A well-formed JSON object that is not a valid record. `field_path` is like
    `attachments[2].sha256`, or `(record)` for the object as a whole."""

    def __init__(self, field_path: str, reason: str) -> None:
        super().__init__()
        self.field_path = field_path
        self.reason = reason

    def detail(self) -> str:
        return f"{self.field_path}: {self.reason}"


def _quote(text: str) -> str:
    """Quote a key for a message: JSON string syntax, non-ASCII and controls escaped."""
    return json.dumps(text, ensure_ascii=True)


class UnsupportedFileType(InputError):
    """Records are read from `.json` or `.jsonl` files; the suffix decides which."""

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def detail(self) -> str:
        shown = self.suffix or "no suffix"
        return f"cannot read records from a file with {shown}: expected .json or .jsonl"


def format_path(parts: tuple[str | int, ...]) -> str:
    """Render a path into a JSON value: `attachments[0].sha256`.

    Keys that are plain identifiers are joined with dots; any other key is written as a
    quoted JSON string in brackets (`["a b"]`), so that the path is unambiguous and printable.
    The empty path (the value itself) is `(top level)`.
    """
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{_quote(part)}]")
    return "".join(out) if out else "(top level)"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# -- signed notes, verifier keys and checkpoint bodies (C2SP, note.py and tlog_checkpoint.py) --


class NoteError(EvanchorError):
    """A signed note, a note key or a checkpoint body is malformed or does not verify."""


class NoteMalformed(NoteError):
    """The bytes are not a signed note (c2sp.org/signed-note, Format). `where` names the part
    at fault (`text`, `signature line 2`, ...)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"malformed note: {where}: {reason}")
        self.where = where
        self.reason = reason


class NoteKeyInvalid(NoteError):
    """A verifier key (`name+id+key`) or signer key (`PRIVATE+KEY+name+id+key`) is malformed:
    `part` is the part at fault (name, key ID, key, type)."""

    def __init__(self, kind: str, part: str, reason: str) -> None:
        super().__init__(f"invalid {kind} key: {part}: {reason}")
        self.kind = kind
        self.part = part
        self.reason = reason


class NoteSignatureInvalid(NoteError):
    """A signature line names a known key (name and key ID match) but does not verify: the
    whole note is rejected, as c2sp.org/signed-note asks."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


class NoteUnverified(NoteError):
    """No signature line of the note is from a known key. `found` lists `name+id` of the
    lines it does carry."""

    def __init__(self, found: tuple[str, ...]) -> None:
        shown = ", ".join(found) if found else "none"
        super().__init__(f"note has no signature from a known key (it carries: {shown})")
        self.found = found


class AmbiguousNoteKey(NoteError):
    """Two configured verifier keys share a name and key ID, so a signature cannot be
    attributed to one of them."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"ambiguous key {name}+{key_id:08x}: configured twice")
        self.name = name
        self.key_id = key_id


class CheckpointBodyMalformed(NoteError):
    """A note's text is not a c2sp.org/tlog-checkpoint body; `line` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"malformed checkpoint: line {line}: {reason}")
        self.line = line
        self.reason = reason
