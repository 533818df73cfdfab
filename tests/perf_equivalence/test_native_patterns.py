"""Each native `pattern` of the record schema accepts exactly what its Python check accepts.

records.py lets pydantic-core match character rules natively (`_native`) and keeps the
Python checks that were the validators before, for their messages. These tests hold every
registered pattern, as pydantic-core runs it, to its check on arbitrary strings and on
strings built from the edges of each character class; and, inside whole records, they hold
the refusal message to the one the check gives.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import SchemaValidator

from evanchor.anchor.protocol.errors import RecordInvalid
from evanchor.anchor.protocol.records import _CHECK_OF_PATTERN, parse_record

from samples import sample_objects

# The edges of every character class the patterns use, and characters just outside them.
EDGES = [
    *map(chr, range(0x21)),
    *"\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\x80",
    *"\u00e9\u2028\u3013\u3014\u3015\u3016\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fff\ua000",
    *"\uff07\uff08\uff09\uff0a\ufeff\uffff\U00010000\U0001f600\U0010ffff",
]
# pydantic-core refuses a lone surrogate before any pattern (`string_unicode`): not drawn.
characters = st.sampled_from(EDGES) | st.characters(exclude_categories=["Cs"])
strings = st.text(characters, max_size=70) | st.sampled_from(
    ["CNY", "cny", "CN", "image/png", "Image/png", "a/b", "a/", "/b", "a" * 64, "f" * 64]
)
PATTERNS = sorted(_CHECK_OF_PATTERN)


def native_accepts(pattern: str, value: str) -> bool:
    validator = SchemaValidator({"type": "str", "pattern": pattern, "strict": True})
    try:
        validator.validate_python(value)
    except ValueError:
        return False
    return True


def check_accepts(pattern: str, value: str) -> bool:
    try:
        _CHECK_OF_PATTERN[pattern](value)
    except ValueError:
        return False
    return True


def test_every_native_pattern_has_its_check() -> None:
    # identifiers, court case numbers, free text, currency, SHA-256 digest, media type
    assert len(PATTERNS) == 6


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=400)
@given(value=strings)
def test_pattern_accepts_what_its_check_accepts(pattern: str, value: str) -> None:
    assert native_accepts(pattern, value) == check_accepts(pattern, value)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("char", EDGES)
def test_every_edge_character_alone_and_inside(pattern: str, char: str) -> None:
    for value in (char, f"a{char}", f"{char}a", f"abc\n{char}", "f" * 63 + char):
        assert native_accepts(pattern, value) == check_accepts(pattern, value), repr(value)


# -- inside records: the message a refused field gets is its check's message ---------------

SAMPLES = sample_objects()
COLLECTION = next(o for o in SAMPLES if o["kind"] == "collection_checkpoint")
LISTED = next(o for o in SAMPLES if o.get("event") == "listed" and "item" in o)
# (sample, path of a string field with a native pattern, its length limits)
FIELDS: list[tuple[dict[str, Any], tuple[str | int, ...], int, int]] = [
    (COLLECTION, ("case_id",), 1, 64),
    (COLLECTION, ("operator_id",), 1, 64),
    (COLLECTION, ("notes",), 0, 4000),
    (COLLECTION, ("amount", "currency"), 0, 10**6),
    (COLLECTION, ("attachments", 0, "sha256"), 0, 10**6),
    (COLLECTION, ("attachments", 0, "media_type"), 0, 255),
    (LISTED, ("court_case_number",), 1, 64),
    (LISTED, ("lot_id",), 1, 64),
    (LISTED, ("item", "description"), 1, 2000),
]


def with_value(sample: dict[str, Any], path: tuple[str | int, ...], value: str) -> dict[str, Any]:
    obj = copy.deepcopy(sample)
    if path[0] == "amount":
        obj.setdefault("amount", {"minor_units": 1, "currency": "CNY"})
        obj["event"] = "payment"
    if path[0] == "attachments":
        obj["attachments"] = [{"sha256": "a" * 64, "media_type": "image/png", "size": 1}]
    target: Any = obj
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return obj


def field_pattern(path: tuple[str | int, ...]) -> str:
    by_field = {
        "case_id": "A-Za-z0-9._:/-",
        "operator_id": "A-Za-z0-9._:/-",
        "lot_id": "A-Za-z0-9._:/-",
        "court_case_number": "\\u3400",
        "notes": "\\x00-\\x08",
        "description": "\\x00-\\x08",
        "currency": "[A-Z]{3}",
        "sha256": "[0-9a-f]{64}",
        "media_type": "[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/",
    }
    fragment = by_field[str(path[-1])]
    (pattern,) = [p for p in PATTERNS if fragment in p]
    return pattern


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@pytest.mark.parametrize(("sample", "path", "shortest", "longest"), FIELDS)
@settings(max_examples=150)
@given(value=strings)
def test_refused_field_gets_its_checks_message(
    sample: dict[str, Any], path: tuple[str | int, ...], shortest: int, longest: int, value: str
) -> None:
    if not shortest <= len(value) <= longest:
        return  # the length limits speak first, as they did before
    obj = with_value(sample, path, value)
    check = _CHECK_OF_PATTERN[field_pattern(path)]
    try:
        check(value)
    except ValueError as error:
        expected: str | None = f"{dotted(path)}: {error}"
    else:
        expected = None
    try:
        parse_record(obj)
        found = None
    except RecordInvalid as refused:
        found = str(refused)
    if expected is not None:
        assert found is not None
        assert found.startswith(expected)
    else:  # another rule (the USCC, the pseudonym guard...) may refuse the record
        assert found is None or not found.startswith(f"{dotted(path)}: ")
