"""`canonical_bytes` is rfc8785.dumps, byte for byte and error for error.

`canonical_bytes` takes a faster road than rfc8785 for the values it can (see its
docstring); these tests hold it to rfc8785 on every value the strict parser can produce and
on the values around the edges of that road: non-ASCII and astral text, every control
character, keys whose UTF-16 order differs from their code point order, integers at
±(2**53 - 1), floats of every form, and values rfc8785 refuses.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.protocol.commitment import canonical_bytes
from evanchor.anchor.protocol.jsonin import MAX_SAFE_INTEGER, parse_json_object

# Characters where escaping or key order could go wrong, mixed into arbitrary Unicode text.
TRICKY = [
    *map(chr, range(0x20)),
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "\u00e9",
    "\u2028",
    "\u2029",
    "\u4e2d",
    "\ud7ff",
    "\ue000",
    "\uf8ff",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
]
characters = st.sampled_from(TRICKY) | st.characters(exclude_categories=["Cs"])
texts = st.text(characters, max_size=10)
integers = st.sampled_from(
    [0, 1, -1, 2**31, -(2**31), 10**15, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]
) | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
floats = st.sampled_from(
    [0.0, -0.0, 0.1, 1.0, -1.5, 1e20, 1e21, 1e-6, 1e-7, 5e-324, 1.7976931348623157e308, 2.0**53]
) | st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | integers | floats | texts
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=20,
)
objects = st.dictionaries(texts, values, max_size=8)
float_free_values = st.recursive(
    st.none() | st.booleans() | integers | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
def test_any_json_value_canonicalises_as_rfc8785_does(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=400)
@given(float_free_values)
def test_float_free_values_canonicalise_as_rfc8785_does(value: Any) -> None:
    """The values that take the fast road (records and leaves never hold a float)."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=300)
@given(objects, st.booleans())
def test_whatever_the_strict_parser_returns_canonicalises_as_rfc8785_does(
    obj: dict[str, Any], ascii_only: bool
) -> None:
    parsed = parse_json_object(json.dumps(obj, ensure_ascii=ascii_only).encode())
    assert canonical_bytes(parsed) == rfc8785.dumps(parsed)


@given(st.lists(st.text(st.sampled_from(["a", "\ue000", "\uffff", "\U00010000", "\U0001f600"]))))
def test_keys_are_ordered_by_utf16_code_units(keys: list[str]) -> None:
    """U+E000-U+FFFF sort after astral characters in UTF-16 but before them by code point."""
    obj = {key: index for index, key in enumerate(keys)}
    assert canonical_bytes(obj) == rfc8785.dumps(obj)


def test_astral_key_sorts_before_private_use_key() -> None:
    assert canonical_bytes({"\ue000": 1, "\U0001f600": 2}) == (
        '{"\U0001f600":2,"\ue000":1}'.encode()
    )


@pytest.mark.parametrize("code", [*range(0x20), 0x22, 0x2F, 0x5C, 0x7F, 0x2028])
def test_every_escape_matches(code: int) -> None:
    value = {"k" + chr(code): "v" + chr(code) + "w"}
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_control_characters_use_lowercase_hex() -> None:
    assert canonical_bytes(["\x1f\x0b"]) == b'["\\u001f\\u000b"]'


@pytest.mark.parametrize(
    "value",
    [
        2**53,
        -(2**53),
        {"n": 2**70},
        [math.nan],
        {"x": math.inf},
        "\ud800",
        {"\udfff": 1},
        {"k": ["\ud83d"]},
        {1: "integer key"},
        {None: 1},
        {1.5},
        object(),
    ],
    ids=repr,
)
def test_refused_values_raise_as_rfc8785_does(value: Any) -> None:
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever rfc8785 raises
        rfc8785.dumps(value)
    with pytest.raises(expected.type) as got:
        canonical_bytes(value)
    assert str(got.value) == str(expected.value)


class Number(int):
    """An int subclass: rfc8785 writes int(value); so must canonical_bytes."""

    def __repr__(self) -> str:
        return "not a number"


class Text(str):
    __slots__ = ()


class Mapping(dict[str, Any]):
    pass


@pytest.mark.parametrize(
    "value",
    [
        (1, "tuple"),
        {"t": (1, 2)},
        Number(7),
        {"n": Number(7)},
        Text("text"),
        {"s": Text("text")},
        Mapping(b=1, a=2),
        [True, False, None, 0, -0.0, 1.0, [], {}],
    ],
    ids=repr,
)
def test_unusual_but_accepted_values_match(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)
