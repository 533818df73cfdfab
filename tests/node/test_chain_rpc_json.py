"""The strict reader of JSON-RPC bodies, held to plain references: depth by recursion over
the parsed value, values by the standard library's parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evanchor.node.chain.errors import MalformedRequest
from evanchor.node.chain.rpc_json import MAX_NESTING_DEPTH, nesting_depth, read_body

# Strings full of brackets and escapes: the scan must not count what is inside them.
TRICKY_TEXT = st.text(alphabet='[]{}"\\ab,:\u00e9\u4e2d', max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4)
    ),
    max_leaves=40,
)


def reference_depth(value: Any) -> int:
    """Nesting depth by plain recursion over the parsed value (a list or object is 1)."""
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    return 0


@given(VALUES, st.booleans())
def test_depth_scan_equals_the_recursive_reference(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nesting_depth(text) == reference_depth(value)


@given(VALUES)
def test_values_within_the_limit_read_as_the_standard_parser_reads_them(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    if reference_depth(value) <= MAX_NESTING_DEPTH:
        assert read_body(text.encode()) == json.loads(text)


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


def test_the_depth_limit_is_exact() -> None:
    assert read_body(nested(MAX_NESTING_DEPTH)) is not None
    with pytest.raises(MalformedRequest) as refused:
        read_body(nested(MAX_NESTING_DEPTH + 1))
    assert refused.value.reason == f"nesting deeper than {MAX_NESTING_DEPTH} levels"


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"data": "[" * 10_000, "more": ["{" * 10_000]}).encode()
    assert read_body(body)["data"] == "[" * 10_000


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nesting deeper than 32 levels"),
        (b"[" * 100_000, "nesting deeper than 32 levels"),
        (b"[1, NaN]", "NaN is not a JSON number"),
        (b"[-Infinity]", "-Infinity is not a JSON number"),
        (b'{"id":1,"id":1}', "duplicate key 'id'"),
        (b"[" + b"9" * 81 + b"]", "integer of 81 digits (at most 80)"),
        (b'["\xc3"]', "the body is not UTF-8 (byte 2)"),
        (b"\xef\xbb\xbf{}", "the body starts with a byte order mark"),
        (b"", "line 1 column 1: Expecting value"),
        (b'{"a":1', "line 1 column 7: Expecting ',' delimiter"),
        (b"[1] [2]", "line 1 column 5: Extra data"),
    ],
)
def test_named_faults(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedRequest) as refused:
        read_body(body)
    assert refused.value.reason == reason
    assert str(refused.value) == f"parse error: {reason}"
