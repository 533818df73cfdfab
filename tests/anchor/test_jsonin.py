"""Strict JSON input: what is refused, how the fault is named, and the JSON Lines reader."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

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
)
from evanchor.anchor.protocol.jsonin import (
    MAX_JSON_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    MAX_RECORD_BYTES,
    MAX_SAFE_INTEGER,
    _check_depth,
    iter_jsonl,
    parse_json_object,
    read_json_or_jsonl,
)


def refused(data: bytes, error: type[InputError], *fragments: str) -> InputError:
    """Assert that `data` is refused with `error` and a one-line message holding `fragments`."""
    with pytest.raises(error) as caught:
        parse_json_object(data, source="in.json")
    message = str(caught.value)
    assert message.startswith("in.json: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return caught.value


# --- accepted ------------------------------------------------------------------------------


def test_plain_object_is_returned_as_parsed() -> None:
    data = b' {"a": 1, "b": [true, false, null], "c": {"d": "\\u00e9\xc3\xa9"}, "e": 1.5}\r\n'
    assert parse_json_object(data) == {
        "a": 1,
        "b": [True, False, None],
        "c": {"d": "éé"},
        "e": 1.5,
    }


def test_integer_bounds_are_inclusive() -> None:
    data = f'{{"hi": {MAX_SAFE_INTEGER}, "lo": -{MAX_SAFE_INTEGER}}}'.encode()
    assert parse_json_object(data) == {"hi": MAX_SAFE_INTEGER, "lo": -MAX_SAFE_INTEGER}


def test_surrogate_pairs_are_characters_not_lone_surrogates() -> None:
    assert parse_json_object(b'{"s": "\\ud83d\\ude00"}') == {"s": "\U0001f600"}


def test_floats_pass_the_parser() -> None:
    # Whether a float is acceptable is the schema's decision (money never is).
    assert parse_json_object(b'{"x": 1.0, "y": 2e3, "z": -0.0}') == {
        "x": 1.0,
        "y": 2000.0,
        "z": 0.0,
    }


def test_brackets_inside_strings_do_not_count_towards_depth() -> None:
    text = "[" * 100 + "{" * 100
    assert parse_json_object(json.dumps({"s": text}).encode()) == {"s": text}


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_NESTING_DEPTH  # the top-level object is level 1
    data = b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    parse_json_object(data)


def test_record_of_exactly_the_limit_is_accepted() -> None:
    padding = MAX_RECORD_BYTES - len(b'{"p":""}')
    data = b'{"p":"' + b"x" * padding + b'"}'
    assert len(data) == MAX_RECORD_BYTES
    parse_json_object(data)


# --- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "line 1 column 1: Expecting value"),
        (b'{"a": 1', "line 1 column 8"),  # truncated
        (b'{"a": 1,}', "line 1 column 9"),  # trailing comma
        (b"{'a': 1}", "Expecting property name"),
        (b'{"a": 1}\n{"b": 2}', "line 2 column 1: Extra data"),
        (b'{"a": 01}', "line 1 column 8"),  # leading zero
        (b'{"a": "tab\there"}', "Invalid control character"),
        (b'{\n  "a": tru\n}', "line 2 column 8"),
    ],
)
def test_malformed_json_names_line_and_column(data: bytes, fragment: str) -> None:
    error = refused(data, MalformedJSON, "malformed JSON", fragment)
    assert isinstance(error, MalformedJSON)
    assert error.doc_line >= 1
    assert error.column >= 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_refused_with_their_path(literal: str) -> None:
    data = f'{{"amount": {{"minor_units": {literal}}}}}'.encode()
    refused(data, NonFiniteNumber, f"amount.minor_units: {literal} is not a JSON number")


def test_float_overflow_is_refused() -> None:
    refused(b'{"x": [0, 1e400]}', NumberOutOfRange, "x[1]: number 1e400", "double")


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (b'{"a": 1, "a": 2}', "a: duplicate object key"),
        (b'{"amount": {"currency": "CNY", "currency": "USD"}}', "amount.currency: duplicate"),
        (b'{"attachments": [{}, {"size": 1, "size": 1}]}', "attachments[1].size: duplicate"),
        (b'{"a b": {"x": 1, "x": 1}}', '["a b"].x: duplicate object key "x"'),
    ],
)
def test_duplicate_keys_are_refused_with_their_path(data: bytes, path: str) -> None:
    refused(data, DuplicateKey, path)


@pytest.mark.parametrize(
    ("number", "path"),
    [
        (str(MAX_SAFE_INTEGER + 1), "n"),
        (str(-MAX_SAFE_INTEGER - 1), "n"),
        ("123456789012345678901234567890", "n"),
        ("9" * 5000, "n"),  # beyond Python's own int() digit limit: still our error
    ],
)
def test_integers_beyond_2_pow_53_are_refused(number: str, path: str) -> None:
    error = refused(f'{{"n": {number}}}'.encode(), NumberOutOfRange, f"{path}: number ", "2**53")
    assert len(str(error)) < 200  # a 5,000-digit number is not echoed whole


def test_nested_huge_integer_names_its_path() -> None:
    refused(b'{"a": [{"b": 18446744073709551616}]}', NumberOutOfRange, "a[0].b: number")


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b'{"a": "\xff"}', 7),
        (b'{"a": "\xc3"}', 7),  # truncated two-byte sequence
        (b'{"a": "\xed\xa0\x80"}', 7),  # UTF-8-encoded surrogate (CESU-8)
        (b'{"a": "\xc0\xaf"}', 7),  # overlong encoding of "/"
    ],
)
def test_invalid_utf8_names_the_byte_offset(data: bytes, offset: int) -> None:
    error = refused(data, InvalidUTF8, f"invalid UTF-8 at byte offset {offset}")
    assert isinstance(error, InvalidUTF8)
    assert error.offset == offset


def test_utf16_input_is_refused() -> None:
    refused('{"a": 1}'.encode("utf-16"), InvalidUTF8)


def test_byte_order_mark_is_refused() -> None:
    refused(b'\xef\xbb\xbf{"a": 1}', ByteOrderMark, "byte order mark")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"a": "x\\ud800y"}', "a: string holds a lone surrogate \\ud800"),
        (b'{"a": ["\\udfff"]}', "a[0]: string holds a lone surrogate \\udfff"),
        (b'{"a": "\\ude00\\ud83d"}', "lone surrogate \\ude00"),  # pair in the wrong order
        (b'{"\\ud800": 1}', '["\\ud800"]: string holds a lone surrogate'),
    ],
)
def test_lone_surrogates_are_refused(data: bytes, fragment: str) -> None:
    refused(data, LoneSurrogate, fragment)


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"[]", "an array"),
        (b'"text"', "a string"),
        (b"12", "a number"),
        (b"null", "null"),
        (b"true", "a boolean"),
    ],
)
def test_top_level_must_be_an_object(data: bytes, found: str) -> None:
    refused(data, NotAnObject, f"expected a JSON object, found {found}")


def test_oversize_input_is_refused_before_parsing() -> None:
    # Not even JSON: the size check comes first.
    data = b"\xff" * (MAX_RECORD_BYTES + 1)
    error = refused(data, InputTooLarge, f"{MAX_RECORD_BYTES + 1} bytes", str(MAX_RECORD_BYTES))
    assert isinstance(error, InputTooLarge)
    assert (error.size, error.limit) == (MAX_RECORD_BYTES + 1, MAX_RECORD_BYTES)


def test_limit_can_be_raised_for_larger_documents() -> None:
    data = b'{"p":"' + b"x" * MAX_RECORD_BYTES + b'"}'
    with pytest.raises(InputTooLarge):
        parse_json_object(data)
    assert parse_json_object(data, limit=2 * MAX_RECORD_BYTES)["p"] == "x" * MAX_RECORD_BYTES


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_too_deep_nesting_is_refused(opening: bytes) -> None:
    levels = MAX_NESTING_DEPTH  # plus the top-level object: one level too many
    closing = b"]" if opening == b"[" else b"}"
    data = b'{"a":' + opening * levels + b"1" + closing * levels + b"}"
    refused(data, TooDeep, f"deeper than {MAX_NESTING_DEPTH} levels")


def test_deep_bomb_is_refused_quickly() -> None:
    data = b'{"a":' + b"[" * (MAX_RECORD_BYTES - 10)
    refused(data, TooDeep)


def _reference_too_deep(text: str, limit: int) -> bool:
    """The plain count: strings blanked with a regular expression, then the brackets."""
    depth = 0
    for bracket in re.findall(r"[\[\]{}]", re.sub(r'"(?:[^"\\]|\\.)*"', "", text, flags=re.S)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


_nasty_text = st.text(alphabet=st.sampled_from(list('[]{}"\\a中\n\u2028')), max_size=8)
_nested = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _nasty_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_nasty_text, inner, max_size=3),
    max_leaves=40,
)


@given(value=_nested, ascii_only=st.booleans(), cut=st.floats(0, 1), whole=st.booleans())
def test_the_depth_check_counts_as_the_plain_reference(
    value: Any, ascii_only: bool, cut: float, whole: bool
) -> None:
    """On valid JSON and on every prefix of it (where the parser stops at the end), strings
    full of brackets, quotes and backslashes."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not whole:
        text = text[: int(cut * len(text))]
    for limit in (0, 1, 2, 4):
        try:
            _check_depth(text.encode(), limit)
            deep = False
        except TooDeep:
            deep = True
        assert deep == _reference_too_deep(text, limit), (text, limit)


def test_messages_default_to_the_source_input() -> None:
    with pytest.raises(DuplicateKey, match=r"^input: a: duplicate object key"):
        parse_json_object(b'{"a":1,"a":1}')


# --- JSON Lines ----------------------------------------------------------------------------


def lines_of(data: bytes | io.BytesIO, **kw: Any) -> list[tuple[int, Any]]:
    return list(iter_jsonl(data, **kw))


def test_jsonl_reports_every_bad_line_with_its_number() -> None:
    data = (
        b'{"n": 1}\n'  # 1
        b"\n"  # 2: blank, skipped but counted
        b'{"n": 3, "n": 3}\n'  # 3
        b"   \t \r\n"  # 4: blank with CRLF
        b'{"n": NaN}\r\n'  # 5
        b'{"n": \n'  # 6: truncated
        b'{"n": "\\ud800"}\n'  # 7
        b'{"n": "\xff"}\n'  # 8
        b"[1]\n"  # 9
        b'\xef\xbb\xbf{"n": 10}\n'  # 10
        b'{"n": 11}'  # 11: no final newline
    )
    results = lines_of(data, source="batch.jsonl")
    assert [n for n, _ in results] == [1, 3, 5, 6, 7, 8, 9, 10, 11]
    assert results[0] == (1, {"n": 1})
    assert results[-1] == (11, {"n": 11})
    expected: dict[int, tuple[type[InputError], str]] = {
        3: (DuplicateKey, "batch.jsonl: line 3: n: duplicate object key"),
        5: (NonFiniteNumber, "batch.jsonl: line 5: n: NaN"),
        6: (MalformedJSON, "batch.jsonl: line 6: malformed JSON at column 7"),
        7: (LoneSurrogate, "batch.jsonl: line 7: n: string holds a lone surrogate"),
        8: (InvalidUTF8, "batch.jsonl: line 8: invalid UTF-8 at byte offset 7 of the line"),
        9: (NotAnObject, "batch.jsonl: line 9: expected a JSON object"),
        10: (ByteOrderMark, "batch.jsonl: line 10: starts with a byte order mark"),
    }
    for number, result in results[1:-1]:
        error_class, prefix = expected[number]
        assert isinstance(result, error_class)
        assert result.line == number
        assert str(result).startswith(prefix), str(result)


def test_jsonl_skips_an_oversize_line_and_carries_on() -> None:
    big = b'{"p": "' + b"x" * (3 * MAX_RECORD_BYTES) + b'"}'
    data = b'{"n": 1}\n' + big + b"\r\n" + b'{"n": 3}\n'
    results = lines_of(io.BytesIO(data))
    assert results[0] == (1, {"n": 1})
    number, error = results[1]
    assert number == 2
    assert isinstance(error, InputTooLarge)
    assert error.size == len(big)
    assert str(error) == (
        f"line 2: line is {len(big)} bytes, over the limit of {MAX_RECORD_BYTES} bytes"
    )
    assert results[2] == (3, {"n": 3})


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_jsonl_line_size_excludes_its_terminator(ending: bytes) -> None:
    line = b'{"p":"' + b"x" * (MAX_RECORD_BYTES - 8) + b'"}'
    assert len(line) == MAX_RECORD_BYTES
    [(number, obj)] = lines_of(line + ending)
    assert number == 1
    assert isinstance(obj, dict)
    over = b'{"p":"' + b"x" * (MAX_RECORD_BYTES - 7) + b'"}'
    [(_, error)] = lines_of(over + ending)
    assert isinstance(error, InputTooLarge)
    assert error.size == MAX_RECORD_BYTES + 1


def test_jsonl_progress_counts_every_byte() -> None:
    data = b'{"n": 1}\n\n{"n": 2}\r\n' + b"x" * (MAX_RECORD_BYTES + 5) + b"\n{bad\n"
    seen: list[int] = []
    results = lines_of(io.BytesIO(data), progress=seen.append)
    assert len(results) == 4
    assert sum(seen) == len(data)


def test_jsonl_bytes_and_stream_agree() -> None:
    data = b'{"n": 1}\n{"n": 1, "n": 2}\n\n{"n": 4}'
    as_bytes = [(n, str(r) if isinstance(r, InputError) else r) for n, r in lines_of(data)]
    as_stream = [
        (n, str(r) if isinstance(r, InputError) else r) for n, r in lines_of(io.BytesIO(data))
    ]
    assert as_bytes == as_stream


# --- files ---------------------------------------------------------------------------------


def test_read_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "batch.JSONL"
    path.write_bytes(b'{"n": 1}\n{"n": \n')
    results = list(read_json_or_jsonl(path))
    assert results[0] == (1, {"n": 1})
    assert str(results[1][1]).startswith("batch.JSONL: line 2: malformed JSON")


def test_read_json_single_object(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{\n  "n": 1\n}\n')
    assert list(read_json_or_jsonl(path)) == [(1, {"n": 1})]


def test_read_json_array_reports_bad_items_by_position(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text('[{"n": 1}, {"n": 2, "n": 2}, 3, {"n": Infinity}, {"n": 5}]')
    results = list(read_json_or_jsonl(path))
    assert [n for n, _ in results] == [1, 2, 3, 4, 5]
    assert results[0][1] == {"n": 1}
    assert results[4][1] == {"n": 5}
    assert str(results[1][1]) == 'many.json: item 2: n: duplicate object key "n"'
    assert str(results[2][1]) == "many.json: item 3: expected a JSON object, found a number"
    assert str(results[3][1]) == "many.json: item 4: n: Infinity is not a JSON number"


def test_read_json_array_item_over_the_record_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"p": "x" * MAX_RECORD_BYTES}, {"n": 2}]))
    [(_, error), (_, ok)] = list(read_json_or_jsonl(path))
    assert isinstance(error, InputTooLarge)
    assert error.item == 1
    assert ok == {"n": 2}


@pytest.mark.parametrize(
    ("content", "error_class", "fragment"),
    [
        (b'{"n": ', MalformedJSON, "bad.json: malformed JSON at line 1 column 7"),
        (b'"x"', NotAnObject, "bad.json: expected a JSON object, found a string"),
        (b"\xef\xbb\xbf[]", ByteOrderMark, "bad.json: starts with a byte order mark"),
        (b" " * (MAX_JSON_DOCUMENT_BYTES + 1), InputTooLarge, "bad.json: .json file is"),
    ],
)
def test_read_json_document_faults_are_raised(
    tmp_path: Path, content: bytes, error_class: type[InputError], fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(error_class) as caught:
        list(read_json_or_jsonl(path))
    assert str(caught.value).startswith(fragment)


def test_read_other_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.txt"
    path.write_text("{}")
    with pytest.raises(UnsupportedFileType, match=r"records.txt: .*\.txt.*\.json or \.jsonl"):
        list(read_json_or_jsonl(path))


# --- properties ----------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def without_surrogates(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@given(json_objects)
def test_well_formed_objects_round_trip_and_canonicalise(obj: dict[str, Any]) -> None:
    for ascii_only in (True, False):
        data = json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        if not without_surrogates(obj):
            with pytest.raises(LoneSurrogate):
                parse_json_object(data)
            continue
        parsed = parse_json_object(data)
        assert parsed == obj
        assert rfc8785.dumps(parsed) == rfc8785.dumps(obj)


fragments = st.sampled_from(
    ['{"a":', "[", "]", "{", "}", ",", '"\\ud800"', '"x"', "1e999", "NaN", "-0", "1.5",
     str(MAX_SAFE_INTEGER + 1), "true", "null", ":", '"k"', " ", "\\", '"\\u00e9"']
)  # fmt: skip


@given(st.one_of(st.binary(max_size=64), st.lists(fragments, max_size=20).map("".join)))
def test_anything_accepted_can_be_canonicalised(raw: bytes | str) -> None:
    data = raw.encode() if isinstance(raw, str) else raw
    outcome: dict[str, Any] | InputError
    try:
        outcome = parse_json_object(data)
    except InputError as error:
        outcome = error
    if isinstance(outcome, InputError):
        assert "\n" not in str(outcome)
    else:
        assert json.loads(rfc8785.dumps(outcome)) == outcome


def test_canonicalisable_floats_only() -> None:
    parsed = parse_json_object(b'{"f": 1e308, "g": 5e-324}')
    assert all(math.isfinite(v) for v in parsed.values())
    rfc8785.dumps(parsed)
