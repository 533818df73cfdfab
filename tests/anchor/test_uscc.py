"""Unified Social Credit Code check characters (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evanchor.anchor.protocol.uscc import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    is_valid_uscc,
    uscc_check_char,
    uscc_problem,
)

# The standard's alphabet, spelled out independently of the module: digits, then the capital
# letters without I, O, S, V, Z.
REFERENCE_ALPHABET = "0123456789" + "".join(
    c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IOSVZ"
)


def reference_check_char(body: str) -> str:
    """GB 32100-2015 §4: C18 = 31 - (sum of Ci * Wi) mod 31, Wi = 3**(i-1) mod 31; 31 -> 0."""
    total = sum(REFERENCE_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    check = 31 - total % 31
    return REFERENCE_ALPHABET[0 if check == 31 else check]


VALID = [
    "91350100M000100Y43",  # the commonly cited example
    "91310115MA1K3TQ00E",  # sample collection agency (tests/data/records)
    "91440300MA5G8LNU01",  # second sample collection agency
    "91110105MA01RJ7P0L",
    "12100000400000000W",  # public institution, registered by an establishment office
    "51110000500000000B",  # social organisation registered with civil affairs
]


def test_alphabet_and_weights_match_the_standard() -> None:
    assert USCC_ALPHABET == REFERENCE_ALPHABET
    assert len(USCC_ALPHABET) == 31
    assert list(USCC_WEIGHTS) == [pow(3, i, 31) for i in range(17)]
    assert list(USCC_WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_worked_example() -> None:
    # 9*1 + 1*3 + 3*9 + 5*27 + 0 + 1*26 + 0 + 0 + M(21)*20 + 0 + 0 + 0 + 1*8 + 0 + 0
    # + Y(30)*30 + 4*28 = 1640; 1640 mod 31 = 28; 31 - 28 = 3.
    body = "91350100M000100Y4"
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    assert total == 1640
    assert uscc_check_char(body) == "3"


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes(code: str) -> None:
    assert reference_check_char(code[:17]) == code[17]
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code)
    assert uscc_problem(code) is None


@pytest.mark.parametrize(
    ("name", "code", "fragment"),
    [
        ("wrong check char", "91350100M000100Y44", "check character is '4', expected '3'"),
        ("transposed digits", "91531000M000100Y43", "check character"),
        ("lowercase", "91350100m000100Y43", "character 9 is lowercase 'm'"),
        ("letter I", "91350100I000100Y43", "character 9 is 'I'"),
        ("letter O", "9135O100M000100Y43", "character 5 is 'O'"),
        ("letter Z", "91350100M000100Z43", "character 16 is 'Z'"),
        ("letter S", "S1350100M000100Y43", "character 1 is 'S'"),
        ("letter V", "91350100M000100V43", "character 16 is 'V'"),
        ("17 characters", "91350100M000100Y4", "18 characters, got 17"),
        ("19 characters", "91350100M000100Y430", "18 characters, got 19"),
        ("empty", "", "18 characters, got 0"),
        ("space", "91350100 000100Y43", "character 9 (' ') is not in the USCC alphabet"),
        ("full-width digit", "\uff191350100M000100Y43", "character 1"),
    ],
)
def test_named_invalid_codes(name: str, code: str, fragment: str) -> None:
    assert not is_valid_uscc(code), name
    problem = uscc_problem(code)
    assert problem is not None
    assert fragment in problem


@pytest.mark.parametrize("body", ["91350100M000100Y", "91350100M000100Y43", "91350100M000100I4"])
def test_check_char_requires_a_17_character_body(body: str) -> None:
    with pytest.raises(ValueError, match="USCC"):
        uscc_check_char(body)


bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_check_char_makes_any_body_valid(body: str) -> None:
    check = uscc_check_char(body)
    assert check == reference_check_char(body)
    assert is_valid_uscc(body + check)


@given(bodies, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_caught(body: str, position: int, shift: int) -> None:
    code = body + uscc_check_char(body)
    # Replace one character by a different one of the alphabet: 31 is prime and no weight
    # is 0 mod 31, so the weighted sum always moves.
    changed = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + shift) % 31]
    mutated = code[:position] + changed + code[position + 1 :]
    assert mutated != code
    assert not is_valid_uscc(mutated)
