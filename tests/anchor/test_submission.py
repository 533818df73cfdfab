"""Signed submissions: the node accepts exactly the records a registered agency signed."""

from __future__ import annotations

from typing import Any

import pytest

from evanchor.anchor.log.submission import (
    AgencyMismatch,
    AgencyNotRegistered,
    SubmissionInvalid,
    check_submission,
    is_submission,
    parse_submission,
    sign_record,
)
from evanchor.anchor.protocol.commitment import commitment
from evanchor.anchor.protocol.errors import RecordInvalid
from evanchor.anchor.protocol.signing import SigningDomain, address_of

from samples import numbered_record

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
OTHER = bytes.fromhex("11" * 32)
DOMAIN = SigningDomain(chain_id=7107, contract="0x" + "ab" * 20).separator
AGENCY = numbered_record(0)["agency"]


def registry(signer: str) -> str | None:
    return AGENCY if signer == address_of(KEY) else None


def _signed(record: dict[str, Any] | None = None, key: bytes = KEY) -> dict[str, Any]:
    return sign_record(record or numbered_record(1), key, DOMAIN)


def test_a_signed_record_is_accepted_with_its_signature() -> None:
    submission = _signed()
    assert is_submission(submission)
    prepared = check_submission(parse_submission(submission), DOMAIN, registry)
    assert prepared.signature == bytes.fromhex(submission["signature"])
    salt = bytes.fromhex(submission["salt"])
    assert prepared.commitment == commitment(salt, prepared.canonical)


def test_unregistered_signer_is_refused() -> None:
    with pytest.raises(AgencyNotRegistered, match="not a registered agency"):
        check_submission(parse_submission(_signed(key=OTHER)), DOMAIN, registry)


def test_signer_registered_for_another_agency_is_refused() -> None:
    record = {**numbered_record(1), "agency": "91310115MA1K3TQ00E"}
    with pytest.raises(AgencyMismatch, match="record names 91310115MA1K3TQ00E"):
        check_submission(parse_submission(_signed(record)), DOMAIN, registry)


def test_altered_record_or_salt_no_longer_matches_the_signature() -> None:
    altered = _signed()
    altered["record"] = {**altered["record"], "operator_id": "op-999"}
    with pytest.raises(AgencyNotRegistered):
        check_submission(parse_submission(altered), DOMAIN, registry)
    resalted = {**_signed(), "salt": "00" * 32}
    with pytest.raises(AgencyNotRegistered):
        check_submission(parse_submission(resalted), DOMAIN, registry)


def test_signature_from_another_domain_is_refused() -> None:
    other_domain = SigningDomain(chain_id=1, contract="0x" + "ab" * 20).separator
    submission = sign_record(numbered_record(1), KEY, other_domain)
    with pytest.raises(AgencyNotRegistered):
        check_submission(parse_submission(submission), DOMAIN, registry)


@pytest.mark.parametrize(
    ("change", "member"),
    [
        ({"salt": "abc"}, "salt"),
        ({"salt": "zz" * 32}, "salt"),
        ({"signature": "00" * 64}, "signature"),
        ({"record": "nope"}, "record"),
        ({"extra": 1}, "extra"),
    ],
)
def test_malformed_envelopes_name_the_member(change: dict[str, Any], member: str) -> None:
    with pytest.raises(SubmissionInvalid) as caught:
        parse_submission({**_signed(), **change})
    assert caught.value.member == member
    assert str(caught.value).startswith(member)


def test_invalid_record_inside_names_the_record_field() -> None:
    submission = _signed()
    submission["record"] = {**submission["record"], "channel": "pigeon"}
    with pytest.raises(RecordInvalid, match=r"^record\.channel"):
        check_submission(parse_submission(submission), DOMAIN, registry)


def test_garbage_signature_is_a_submission_error() -> None:
    submission = {**_signed(), "signature": "00" * 64 + "1b"}
    with pytest.raises(SubmissionInvalid, match="signature"):
        check_submission(parse_submission(submission), DOMAIN, registry)
