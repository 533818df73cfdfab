"""Strict JSON input: the bytes a submitter sends, turned into plain Python values or refused.

A record's canonical bytes (RFC 8785) are what get committed, so anything accepted here must
mean the same thing to every JSON implementation a verifier might use and must be
canonicalisable. The I-JSON profile (RFC 7493) is the rule: UTF-8 without a byte order mark,
no duplicate object keys, no lone surrogates, numbers that an IEEE 754 double holds exactly
(integers within ±(2**53 - 1)), and never `NaN` or `Infinity`, which Python's own parser
accepts by default. Floats are let through: whether a float is acceptable is the schema's
business (money never is), not the parser's.

Parsing uses the standard library's C scanner with hooks that never raise; values the
profile forbids are parked as markers, and one walk over the result reports the first fault
with its path (`attachments[1].size`). This keeps the fast path fast and every message
specific.

Errors are `evanchor.anchor.protocol.errors.InputError` subclasses; the `.jsonl` reader yields
them next to the good lines instead of raising, so a caller can report every bad line.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from evanchor.anchor.protocol.errors import (
    ByteOrderMark,
    DuplicateKey,
    InputError,
    InputTooLarge,
    InvalidUTF8,
    LoneSurrogate,
    MalformedJSON,
    NonFiniteNumber,
    NotAnObject,
    NumberOutOfRange,
    TooDeep,
    UnsupportedFileType,
    format_path,
)

MAX_RECORD_BYTES = 64 * 1024
"""Largest record accepted, in bytes of its JSON text (a `.jsonl` line without its newline).

A record is metadata plus attachment digests, never the attachment itself: the schema's
largest free-text fields (4,000-character notes, a 2,000-character item description) and 64
attachment entries stay well below 64 KiB even in three-byte UTF-8. The cap bounds the memory
one submission can take and the time to canonicalise, hash and build its leaf, and it is
checked before any parsing.
"""

MAX_JSON_DOCUMENT_BYTES = 64 * MAX_RECORD_BYTES
"""Largest `.json` file (4 MiB). A `.json` file is parsed in one piece, so it is capped as a
whole; larger batches belong in `.jsonl`, which is read a line at a time."""

MAX_NESTING_DEPTH = 32
"""Deepest nesting of arrays and objects, counting the record object itself as level 1.

Records nest three levels deep (record, attachment list, attachment); 32 leaves room for
any honest input and stops `[[[[...` bombs before the parser recurses.
"""

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer magnitude accepted. Beyond it an IEEE 754 double, which is what JSON
numbers are to most implementations and to RFC 8785, cannot represent every integer, so two
parties could read different values from the same text."""

ProgressCallback = Callable[[int], None]
"""Called with the number of bytes consumed since the last call (fits `tqdm.update`)."""

_BOM = b"\xef\xbb\xbf"
# Digits of MAX_SAFE_INTEGER (9007199254740991): any integer written with more is too large.
_MAX_SAFE_DIGITS = len(str(MAX_SAFE_INTEGER))
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
"""Every byte but the quote and the brackets: deleted before the depth is counted."""
_QUOTED = re.compile(rb'"[^"]*"')
"""A string, once escapes and every other byte are gone (linear: only the last quote can
be left unclosed)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_BLANK = b" \t\r"


class _NonFinite:
    """Marker left by the parser where `NaN`, `Infinity` or `-Infinity` was written."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal


class _OutOfRange:
    """Marker left by the parser where a number a double cannot hold exactly was written."""

    __slots__ = ("reason", "text")

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


class _ObjectWithDuplicate(dict[str, Any]):
    """An object in which `duplicate` was the first key to appear twice."""

    duplicate: str


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:  # pragma: no branch - a duplicate exists, so the loop returns
        if key in seen:
            marked = _ObjectWithDuplicate(obj)
            marked.duplicate = key
            return marked
        seen.add(key)
    raise AssertionError("unreachable: dict() dropped a key but none repeats")


def _parse_int(text: str) -> int | _OutOfRange:
    # Check the length first: int() of a 100,000-digit string is slow, and Python refuses
    # strings over 4,300 digits with a ValueError of its own.
    if len(text.lstrip("-")) <= _MAX_SAFE_DIGITS:
        value = int(text)
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
    return _OutOfRange(text, f"is outside ±(2**53 - 1) = ±{MAX_SAFE_INTEGER}")


def _parse_float(text: str) -> float | _OutOfRange:
    value = float(text)
    if math.isfinite(value):
        return value
    return _OutOfRange(text, "is too large for an IEEE 754 double")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_from_pairs,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_NonFinite,
)


def _decode_text(data: bytes) -> Any:
    """UTF-8 bytes to a parsed value that may still hold markers. Raises InputError.

    Precondition: the caller has checked the size.
    """
    if data.startswith(_BOM):
        raise ByteOrderMark()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidUTF8(err.start, err.reason) from None
    _check_depth(data)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        raise MalformedJSON(err.lineno, err.colno, err.msg) from None
    except RecursionError:  # pragma: no cover - _check_depth stops this first
        raise TooDeep(MAX_NESTING_DEPTH) from None


def _check_depth(data: bytes, limit: int = MAX_NESTING_DEPTH) -> None:
    """Refuse nesting deeper than `limit` before the recursive parser sees it.

    Brackets inside strings do not count. Escaped backslashes and then escaped quotes are
    removed, every byte but quotes and brackets is deleted (UTF-8 never puts an ASCII byte
    inside a multi-byte character), and what lies between two quotes is a string's content.
    On malformed text the count may be off, but only after the point where the parser
    itself would stop. The same count as blanking the strings of the text with a regular
    expression and walking its brackets, at half the cost (tests/anchor/test_jsonin.py).
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    kept = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    depth = 0
    for byte in _QUOTED.sub(b"", kept):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                raise TooDeep(limit)
        elif byte != 0x22:  # an unterminated string's opening quote
            depth -= 1


def _check_values(value: Any, path: tuple[str | int, ...]) -> None:
    """Raise for the first marker, duplicate key or lone surrogate in document order."""
    if not _is_clean(value):
        _raise_first_fault(value, path)


def _is_clean(value: Any) -> bool:
    """True if `value` holds no marker, duplicate key or lone surrogate: the common case,
    checked without building the paths that only an error message needs."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if not key.isascii() and _SURROGATE.search(key):
                return False
            if type(item) is str:
                if not item.isascii() and _SURROGATE.search(item):
                    return False
            elif not _is_clean(item):
                return False
        return True
    if kind is list:
        return all(map(_is_clean, value))
    if kind is str:
        return value.isascii() or _SURROGATE.search(value) is None
    # Markers and objects with a duplicate key are other types.
    return kind is int or kind is float or kind is bool or value is None


def _raise_first_fault(value: Any, path: tuple[str | int, ...]) -> None:
    """The walk behind `_check_values`, keeping the path of every value it visits."""
    if isinstance(value, dict):
        if isinstance(value, _ObjectWithDuplicate):
            raise DuplicateKey(format_path((*path, value.duplicate)), value.duplicate)
        for key, item in value.items():
            member = (*path, key)
            if not key.isascii():
                _check_string(key, member)
            _raise_first_fault(item, member)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _raise_first_fault(item, (*path, index))
    elif isinstance(value, str):
        if not value.isascii():
            _check_string(value, path)
    elif isinstance(value, _OutOfRange):
        raise NumberOutOfRange(format_path(path), value.text, value.reason)
    elif isinstance(value, _NonFinite):
        raise NonFiniteNumber(format_path(path), value.literal)


def _check_string(text: str, path: tuple[str | int, ...]) -> None:
    found = _SURROGATE.search(text)
    if found is not None:
        raise LoneSurrogate(format_path(path), ord(found.group()))


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _parse_object(data: bytes, limit: int = MAX_RECORD_BYTES) -> dict[str, Any]:
    if len(data) > limit:
        raise InputTooLarge(len(data), limit, what="input")
    value = _decode_text(data)
    if not isinstance(value, dict):
        raise NotAnObject(_json_type(value))
    _check_values(value, ())
    return value


def parse_json_object(
    data: bytes, *, source: str | None = "input", limit: int = MAX_RECORD_BYTES
) -> dict[str, Any]:
    """Parse JSON text strictly; the top level must be an object.

    `limit` is the size cap in bytes: MAX_RECORD_BYTES for a record; documents that embed
    records (proof bundles) pass their own. Raises an `InputError` subclass located at
    `source`: `InputTooLarge` (checked before parsing), `ByteOrderMark`, `InvalidUTF8`,
    `TooDeep`, `MalformedJSON`, `NotAnObject`, `DuplicateKey`, `NumberOutOfRange`,
    `NonFiniteNumber` or `LoneSurrogate`.

    The result holds only dict, list, str, int (within ±MAX_SAFE_INTEGER), finite float,
    bool and None, so it can always be canonicalised with RFC 8785.
    """
    try:
        return _parse_object(data, limit)
    except InputError as err:
        raise err.located(source=source) from None


def iter_jsonl(
    data: bytes | BinaryIO,
    *,
    source: str | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    """Read JSON Lines: yield `(line_number, object)` or `(line_number, error)` per line.

    Lines are numbered from 1 and end with LF or CRLF; blank lines (only spaces, tabs) are
    skipped but counted. Each line is checked like `parse_json_object`, and a bad line is
    yielded as its error (with `line` and `source` set) so that the caller can report every
    one and carry on. A line over MAX_RECORD_BYTES is skipped without being held in memory.

    `data` may be a binary stream, read a line at a time; `progress` is then told how many
    bytes each line took, so a progress bar can follow a large file.
    """
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    for line_number, content, consumed in jsonl_lines(stream):
        if content is None:
            if progress is not None:
                progress(consumed)
            continue
        result: dict[str, Any] | InputError
        if isinstance(content, InputError):
            result = content
        else:
            try:
                result = _parse_object(content)
            except InputError as err:
                result = err
        if isinstance(result, InputError):
            result.located(line=line_number, source=source)
        if progress is not None:
            progress(consumed)
        yield line_number, result


def jsonl_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | InputTooLarge | None, int]]:
    """Frame JSON Lines without parsing them: `(line_number, content, consumed)` per line.

    `content` is the line without its LF or CRLF; None for a blank line (only spaces, tabs);
    `InputTooLarge` (not yet located) for a line over MAX_RECORD_BYTES, which is skipped
    without being held in memory. `consumed` is how many bytes of the stream the line took.
    `iter_jsonl` parses what this frames; so does the parallel reader (parallel_ingest.py),
    with `parse_jsonl_line` in its workers.
    """
    # Room for a full-size record plus CR LF; a longer read without LF means an oversize line.
    read_limit = MAX_RECORD_BYTES + 2
    line_number = 0
    while True:
        raw = stream.readline(read_limit)
        if not raw:
            return
        line_number += 1
        if not raw.endswith(b"\n") and len(raw) == read_limit:
            size, consumed = _skip_rest_of_line(stream, raw)
            yield line_number, InputTooLarge(size, MAX_RECORD_BYTES, what="line"), consumed
            continue
        content = raw.removesuffix(b"\n").removesuffix(b"\r")
        yield line_number, (content if content.strip(_BLANK) else None), len(raw)


def parse_jsonl_line(content: bytes) -> dict[str, Any]:
    """The object of one line that `jsonl_lines` framed, checked as `iter_jsonl` checks it.

    Raises an `InputError` without a location (the caller knows the line).
    """
    return _parse_object(content)


def _skip_rest_of_line(stream: BinaryIO, head: bytes) -> tuple[int, int]:
    """Read past the end of an oversize line that began with `head`.

    Returns (size of the line without its LF or CRLF, bytes consumed including `head`).
    Only the last two bytes are kept, so memory stays bounded however long the line is.
    """
    consumed = len(head)
    tail = head[-2:]
    while True:
        chunk = stream.readline(1 << 16)
        consumed += len(chunk)
        tail = (tail + chunk)[-2:]
        if not chunk.endswith(b"\n"):
            if not chunk:
                return consumed, consumed
            continue
        terminator = 2 if tail == b"\r\n" else 1
        return consumed - terminator, consumed


def read_json_or_jsonl(
    path: str | Path, *, progress: ProgressCallback | None = None
) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    """Yield the records of a file as `(position, object or error)`; the suffix decides how.

    - `.jsonl`: one object a line, streamed; position is the line number (see `iter_jsonl`).
    - `.json`: one object (position 1) or an array of objects (position = 1-based index in
      the array; errors carry it as `item`). The file is parsed whole, at most
      MAX_JSON_DOCUMENT_BYTES; a single object is held to MAX_RECORD_BYTES, each array
      element to MAX_RECORD_BYTES of its compact JSON form.

    Per-record faults are yielded; faults of the file as a whole (unreadable suffix, a
    `.json` document that is too large, not UTF-8, malformed, too deep, or neither an object
    nor an array) are raised as `InputError`, all located at the file's name.
    `OSError` from opening or reading the file propagates unchanged.
    """
    path = Path(path)
    source = path.name
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open("rb") as stream:
            yield from iter_jsonl(stream, source=source, progress=progress)
        return
    if suffix != ".json":
        raise UnsupportedFileType(path.suffix).located(source=source)
    with path.open("rb") as stream:
        data = stream.read(MAX_JSON_DOCUMENT_BYTES + 1)
    if progress is not None:
        progress(len(data))
    try:
        for position, result in _json_document_records(data):
            if isinstance(result, InputError):
                result.located(source=source)
            yield position, result
    except InputError as err:
        raise err.located(source=source) from None


def _json_document_records(data: bytes) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise InputTooLarge(len(data), MAX_JSON_DOCUMENT_BYTES, what=".json file")
    value = _decode_text(data)
    if isinstance(value, dict):
        try:
            if len(data) > MAX_RECORD_BYTES:
                raise InputTooLarge(len(data), MAX_RECORD_BYTES)
            _check_values(value, ())
        except InputError as err:
            yield 1, err
        else:
            yield 1, value
        return
    if not isinstance(value, list):
        raise NotAnObject(_json_type(value) + " (a .json file holds an object or an array)")
    for index, element in enumerate(value, start=1):
        try:
            yield index, _checked_element(element)
        except InputError as err:
            yield index, err.located(item=index)


def _checked_element(element: Any) -> dict[str, Any]:
    if not isinstance(element, dict):
        raise NotAnObject(_json_type(element))
    _check_values(element, ())
    # Only now is the element free of markers, so it can be re-encoded to measure it.
    size = len(json.dumps(element, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_RECORD_BYTES:
        raise InputTooLarge(size, MAX_RECORD_BYTES)
    return element
