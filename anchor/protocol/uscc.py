"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015): the ID of every agency.

A code is 18 characters over a 31-character alphabet (digits and the capital letters
without I, O, S, V, Z, which are too easily misread as 1, 0, 5, U, 2). The 18th character is
a check character over the first 17: with each character's value being its index in the
alphabet and the weight of position i (from 0) being 3**i mod 31,

    check = ALPHABET[(31 - sum(value_i * weight_i) mod 31) mod 31]

What is checked, and why no more: length, alphabet and the check character, which catch
every single-character typo. The standard also gives the first two characters meanings (the
registering department and the kind of organisation, such as `91` for a company registered
with market regulation), and characters 3-8 an administrative division code; those tables
have been extended since 2015 and we have no authoritative current copy to pin, so enforcing
them here would risk refusing a real agency. They are deliberately not checked.
"""

from __future__ import annotations

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015, in value order (value = index)."""

USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1-17: 3**i mod 31 for i = 0..16."""

USCC_LENGTH = 18

_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
_MISREADABLE = "IOSVZ"


def uscc_check_char(body: str) -> str:
    """The check character for the first 17 characters of a code.

    Requires `body` to be exactly 17 characters from USCC_ALPHABET; raises ValueError
    otherwise (a precondition, not a verdict on user input: use `uscc_problem` for that).
    """
    if len(body) != USCC_LENGTH - 1:
        raise ValueError(f"a USCC body is {USCC_LENGTH - 1} characters, got {len(body)}")
    try:
        total = sum(_VALUE[char] * weight for char, weight in zip(body, USCC_WEIGHTS, strict=True))
    except KeyError as err:
        raise ValueError(f"{err.args[0]!r} is not in the USCC alphabet") from None
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, as a short phrase; None if it is valid.

    The phrase names the position (1-based) of a bad character and, for a wrong check
    character, the one expected, so that a typo can be found.
    """
    if len(code) != USCC_LENGTH:
        return f"a USCC has {USCC_LENGTH} characters, got {len(code)}"
    for position, char in enumerate(code, start=1):
        if char in _VALUE:
            continue
        if char.upper() in _VALUE:
            return f"character {position} is lowercase {char!r}: a USCC is written in capitals"
        if char.upper() in _MISREADABLE:
            return f"character {position} is {char!r}, which a USCC never uses (no I, O, S, V or Z)"
        return f"character {position} ({char!r}) is not in the USCC alphabet"
    expected = uscc_check_char(code[:-1])
    if code[-1] != expected:
        return f"check character is {code[-1]!r}, expected {expected!r} (a mistyped character?)"
    return None


def is_valid_uscc(code: str) -> bool:
    """True if `code` has the USCC length, alphabet and a correct check character."""
    return uscc_problem(code) is None
