"""The strict reader of JSON-RPC request bodies: bytes in, plain Python values or a refusal.

A request body comes from anyone who can reach the endpoint, so reading it must cost time
and memory in proportion to its size and must never recurse without bound: the standard
library's scanner recurses once per nesting level in C, and py-evm raises the interpreter's
recursion limit to 100,000 at import, so a body nested 100,000 deep would overflow the C
stack and kill the process. The nesting depth is therefore counted before the parser runs,
by a scan over the brackets outside strings that does not recurse.

The profile is the one the evidence API reads (anchor/protocol/jsonin.py), restated here
because `node.chain` imports nothing of the evidence side (ARCHITECTURE.md): UTF-8 without
a byte order mark, no duplicate object keys, no `NaN` or `Infinity` (which Python accepts by
default), integers of at most `MAX_INTEGER_DIGITS` digits. Each refusal is a
`MalformedRequest` naming the fault; the dispatcher answers it with -32700.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from evanchor.node.chain.errors import MalformedRequest

MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest request body (4 MiB), refused with HTTP 413 before it is read whole.

A 24 KiB contract deployment is ~50 KB of hex and a batch of a thousand anchor transactions
under 1 MB, so honest clients stay far below it; the cap bounds the memory a request takes
and the time to scan and parse it (a 4 MiB body of brackets alone scans in ~0.15 s)."""

MAX_NESTING_DEPTH = 32
"""Deepest nesting of arrays and objects, a batch's array counting as level 1.

The deepest honest request is about six levels (batch, request, params, call object, access
list, storage keys); 32 leaves room and keeps the parser's recursion shallow."""

MAX_INTEGER_DIGITS = 80
"""Longest plain JSON integer (a uint256 has at most 78 digits). JSON-RPC quantities are hex
strings; plain integers appear as ids. Longer ones are refused before `int()` is asked to
convert them (Python refuses past 4,300 digits, and the time grows with the length)."""

_BOM = b"\xef\xbb\xbf"
# Possessive quantifiers: a string is skipped in linear time even if it is never closed.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _Refused(Exception):
    """Raised from the parser's hooks; turned into `MalformedRequest` by `read_body`."""


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {key!r}")
            seen.add(key)
    return obj


def _parse_constant(literal: str) -> Any:
    raise _Refused(f"{literal} is not a JSON number")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"integer of {len(text)} digits (at most {MAX_INTEGER_DIGITS})")
    return int(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_from_pairs,
    parse_constant=_parse_constant,
    parse_int=_parse_int,
)


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets in `text`, brackets inside strings not counted.

    Linear in the length and without recursion; on malformed text the count may be off,
    but only after the point where the parser itself would stop.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def read_body(body: bytes, *, max_depth: int = MAX_NESTING_DEPTH) -> Any:
    """Parse a request body strictly. Raises `MalformedRequest` naming the fault.

    Requires: the caller has held `body` to its size limit (`MAX_BODY_BYTES`). The result
    holds only dict, list, str, int, float, bool and None.
    """
    if body.startswith(_BOM):
        raise MalformedRequest("the body starts with a byte order mark")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest(f"the body is not UTF-8 (byte {error.start})") from None
    # Count first only when it could matter: fewer brackets than the limit cannot nest deeper.
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise MalformedRequest(f"nesting deeper than {max_depth} levels")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise MalformedRequest(f"line {error.lineno} column {error.colno}: {error.msg}") from None
    except _Refused as refused:
        raise MalformedRequest(str(refused)) from None
