"""The agency registry of EvidenceAnchor on py-evm: register, revoke, read at a past block."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.logs import DISCARD

from evm_harness import (
    DEFAULT_ADMIN_ROLE,
    WRITER_ROLE,
    Deployment,
    Tree,
    revert_of,
    send,
    send_failing,
)

AGENCY_ROLE = keccak(b"AGENCY_ROLE")
CODE = "91310115MA1K3TQ00E"
OTHER_CODE = "91350100M000100Y43"
ZERO_ADDRESS = "0x" + "00" * 20


def events(d: Deployment, receipt: Any, name: str) -> list[dict[str, Any]]:
    return [
        dict(event["args"])
        for event in getattr(d.contract.events, name)().process_receipt(receipt, errors=DISCARD)
    ]


def registered(d: Deployment, agency: str, block: int | str = "latest") -> tuple[bool, str]:
    functions = d.contract.functions
    return (
        functions.hasRole(AGENCY_ROLE, agency).call(block_identifier=block),
        functions.agencyCreditCode(agency).call(block_identifier=block),
    )


def test_agency_role_constant_and_its_admin(deployment: Deployment) -> None:
    functions = deployment.contract.functions
    assert functions.AGENCY_ROLE().call() == AGENCY_ROLE
    assert AGENCY_ROLE.hex() == "b65a831710346acfae65a808a37f27ab439206a966e9a4ab4035af91c51c8dd1"
    assert functions.getRoleAdmin(AGENCY_ROLE).call() == DEFAULT_ADMIN_ROLE
    assert registered(deployment, deployment.outsider) == (False, "")


def test_register_grants_the_role_stores_the_code_and_emits(deployment: Deployment) -> None:
    d = deployment
    receipt = send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    assert events(d, receipt, "AgencyRegistered") == [{"agency": d.outsider, "creditCode": CODE}]
    assert events(d, receipt, "RoleGranted") == [
        {"role": AGENCY_ROLE, "account": d.outsider, "sender": d.admin}
    ]
    assert registered(d, d.outsider) == (True, CODE)
    # The event's topic is the agency, so a verifier can filter the registry's history.
    (log,) = [entry for entry in receipt["logs"] if len(entry["topics"]) == 2]
    assert log["topics"][0] == keccak(b"AgencyRegistered(address,string)")
    assert log["topics"][1][-20:] == bytes.fromhex(d.outsider[2:])


def test_only_the_admin_registers_and_revokes(deployment: Deployment) -> None:
    d = deployment
    functions = d.contract.functions
    for caller in (d.writer, d.outsider):
        assert revert_of(functions.registerAgency(d.outsider, CODE), caller) == (
            "AccessControlUnauthorizedAccount",
            (caller, DEFAULT_ADMIN_ROLE),
        )
    send_failing(functions.registerAgency(d.outsider, CODE), d.outsider)
    assert registered(d, d.outsider) == (False, "")
    send(functions.registerAgency(d.outsider, CODE), d.admin)
    assert revert_of(functions.revokeAgency(d.outsider), d.outsider) == (
        "AccessControlUnauthorizedAccount",
        (d.outsider, DEFAULT_ADMIN_ROLE),
    )
    assert registered(d, d.outsider) == (True, CODE)


@pytest.mark.parametrize(
    "code",
    ["", "9131011", CODE[:-1], CODE + "0", "中" * 5 + "ab", "é" * 18],
    ids=["empty", "7", "17", "19", "17 bytes of utf-8", "36 bytes of utf-8"],
)
def test_a_code_of_other_than_18_bytes_is_refused(deployment: Deployment, code: str) -> None:
    d = deployment
    assert revert_of(d.contract.functions.registerAgency(d.outsider, code), d.admin) == (
        "EvidenceAnchorInvalidCreditCode",
        (len(code.encode()),),
    )
    receipt = send_failing(d.contract.functions.registerAgency(d.outsider, code), d.admin)
    assert receipt["logs"] == []
    assert registered(d, d.outsider) == (False, "")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=st.text(max_size=24))
def test_the_contract_checks_the_byte_length_only(deployment: Deployment, code: str) -> None:
    # The check character (GB 32100-2015) is verified off chain, where the record is checked.
    d = deployment
    call = d.contract.functions.registerAgency(d.outsider, code)
    if len(code.encode()) == 18:
        call.call({"from": d.admin})
    else:
        assert revert_of(call, d.admin) == (
            "EvidenceAnchorInvalidCreditCode",
            (len(code.encode()),),
        )


def test_the_zero_address_is_refused(deployment: Deployment) -> None:
    d = deployment
    call = d.contract.functions.registerAgency(ZERO_ADDRESS, CODE)
    assert revert_of(call, d.admin) == ("EvidenceAnchorZeroAgency", ())


def test_grant_role_cannot_make_an_agency(deployment: Deployment) -> None:
    d = deployment
    grant = d.contract.functions.grantRole(AGENCY_ROLE, d.outsider)
    assert revert_of(grant, d.admin) == ("EvidenceAnchorAgencyRequiresRegistration", ())
    send_failing(grant, d.admin)
    assert registered(d, d.outsider) == (False, "")
    # Other roles are granted as before.
    send(d.contract.functions.grantRole(WRITER_ROLE, d.outsider), d.admin)


def test_registering_again_replaces_the_code(deployment: Deployment) -> None:
    d = deployment
    send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    receipt = send(d.contract.functions.registerAgency(d.outsider, OTHER_CODE), d.admin)
    assert events(d, receipt, "AgencyRegistered") == [
        {"agency": d.outsider, "creditCode": OTHER_CODE}
    ]
    assert events(d, receipt, "RoleGranted") == []  # it held the role already
    assert registered(d, d.outsider) == (True, OTHER_CODE)


def test_key_rotation_registers_one_code_to_a_new_address(deployment: Deployment) -> None:
    d = deployment
    old_key, new_key = d.outsider, d.other_writer
    send(d.contract.functions.registerAgency(old_key, CODE), d.admin)
    send(d.contract.functions.registerAgency(new_key, CODE), d.admin)
    assert registered(d, old_key) == registered(d, new_key) == (True, CODE)
    send(d.contract.functions.revokeAgency(old_key), d.admin)
    assert registered(d, old_key) == (False, "")
    assert registered(d, new_key) == (True, CODE)


def test_revoke_takes_the_role_forgets_the_code_and_emits(deployment: Deployment) -> None:
    d = deployment
    send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    receipt = send(d.contract.functions.revokeAgency(d.outsider), d.admin)
    assert events(d, receipt, "RoleRevoked") == [
        {"role": AGENCY_ROLE, "account": d.outsider, "sender": d.admin}
    ]
    assert events(d, receipt, "AgencyRevoked") == [{"agency": d.outsider}]
    assert registered(d, d.outsider) == (False, "")
    assert revert_of(d.contract.functions.revokeAgency(d.outsider), d.admin) == (
        "EvidenceAnchorAgencyNotRegistered",
        (d.outsider,),
    )
    # Registered again later, with the code given then.
    send(d.contract.functions.registerAgency(d.outsider, OTHER_CODE), d.admin)
    assert registered(d, d.outsider) == (True, OTHER_CODE)


def test_revoking_an_address_never_registered_is_refused(deployment: Deployment) -> None:
    d = deployment
    assert revert_of(d.contract.functions.revokeAgency(d.outsider), d.admin) == (
        "EvidenceAnchorAgencyNotRegistered",
        (d.outsider,),
    )


@pytest.mark.parametrize("how", ["revokeRole by the admin", "renounceRole by the agency"])
def test_every_way_of_losing_the_role_forgets_the_code(deployment: Deployment, how: str) -> None:
    d = deployment
    send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    if how.startswith("revokeRole"):
        receipt = send(d.contract.functions.revokeRole(AGENCY_ROLE, d.outsider), d.admin)
    else:
        receipt = send(d.contract.functions.renounceRole(AGENCY_ROLE, d.outsider), d.outsider)
    assert events(d, receipt, "AgencyRevoked") == [{"agency": d.outsider}]
    assert registered(d, d.outsider) == (False, "")


def test_revoking_another_role_emits_no_agency_event(deployment: Deployment) -> None:
    d = deployment
    receipt = send(d.contract.functions.revokeRole(WRITER_ROLE, d.writer), d.admin)
    assert events(d, receipt, "AgencyRevoked") == []
    assert events(d, receipt, "RoleRevoked") != []


def test_registration_read_at_past_blocks(deployment: Deployment) -> None:
    # How a verifier asks "was this signer registered, and as whom, at block B?".
    d = deployment
    before = d.w3.eth.block_number
    registered_in = send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    changed_in = send(d.contract.functions.registerAgency(d.outsider, OTHER_CODE), d.admin)
    revoked_in = send(d.contract.functions.revokeAgency(d.outsider), d.admin)
    assert registered(d, d.outsider, before) == (False, "")
    assert registered(d, d.outsider, registered_in["blockNumber"]) == (True, CODE)
    assert registered(d, d.outsider, changed_in["blockNumber"]) == (True, OTHER_CODE)
    assert registered(d, d.outsider, revoked_in["blockNumber"]) == (False, "")


def test_an_agency_cannot_anchor(deployment: Deployment) -> None:
    d = deployment
    send(d.contract.functions.registerAgency(d.outsider, CODE), d.admin)
    tree = Tree(b"agency", 2)
    assert revert_of(d.contract.functions.anchor(2, tree.root(2), []), d.outsider) == (
        "AccessControlUnauthorizedAccount",
        (d.outsider, WRITER_ROLE),
    )


def test_the_registry_leaves_the_writers_logs_alone(deployment: Deployment) -> None:
    d = deployment
    tree = Tree(b"logs", 3)
    send(d.contract.functions.anchor(3, tree.root(3), []), d.writer)
    send(d.contract.functions.registerAgency(d.writer, CODE), d.admin)
    send(d.contract.functions.revokeAgency(d.writer), d.admin)
    assert d.contract.functions.checkpointCount(d.writer).call() == 1
    assert d.contract.functions.isAnchored(d.writer, 3, tree.root(3)).call()
    assert d.contract.functions.hasRole(WRITER_ROLE, d.writer).call()
