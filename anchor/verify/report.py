"""A verification report: the steps walked, the outcome, the assurance level reached.

Three outcomes, never two (DESIGN decision 11):

    VERIFIED       every step passed                                      exit status 0
    NOT VERIFIED   the evidence is wrong: a step failed, and it is named   exit status 1
    CANNOT VERIFY  nothing failed, but a check needs a chain that could    exit status 3
                   not be reached, is another chain, or could not answer

(Exit status 2 is the command line's own: a usage error.) NOT VERIFIED wins over CANNOT
VERIFY: every check that needs no chain still runs when the chain is out of reach, and a
failure among them is a verdict.

The assurance level says how much a VERIFIED report proves, in this order:

    log-only                      the record is a leaf of the bundle's checkpoint; nothing
                                  ties that checkpoint to a chain (anyone holding the record
                                  could build such a bundle)
    anchored                      the checkpoint is stored in EvidenceAnchor on the log's
                                  chain at block B, checked against that chain (--rpc,
                                  --chain-export) or a trusted hash of block B
    anchored+signed               and the record's commitment is signed by the key named,
                                  under the log's EIP-712 domain
    anchored+signed+registered    and that key was registered in the contract as the
                                  record's agency at block B (needs a chain)

A level is what the checks established, never what the bundle says of itself: a bundle
whose `anchor` or `signature` was removed reaches a lower level, and the report says the
bundle's claim is weaker than its log's (the seal leaf commits to where the log anchors and
whether its records are signed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    VERIFIED = "VERIFIED"
    NOT_VERIFIED = "NOT VERIFIED"
    CANNOT_VERIFY = "CANNOT VERIFY"

    @property
    def exit_status(self) -> int:
        return {"VERIFIED": 0, "NOT VERIFIED": 1, "CANNOT VERIFY": 3}[self.value]


class Assurance(StrEnum):
    NONE = "none"
    LOG_ONLY = "log-only"
    ANCHORED = "anchored"
    SIGNED = "anchored+signed"
    REGISTERED = "anchored+signed+registered"

    @property
    def rank(self) -> int:
        return list(Assurance).index(self)


class StepStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANNOT_VERIFY = "cannot verify"


@dataclass(frozen=True)
class Step:
    name: str
    status: StepStatus
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"step": self.name, "status": self.status.value, "detail": self.detail}


@dataclass
class Report:
    """The steps in the order walked; `summary` is the one statement the report makes,
    `notes` what limits it (each already part of the summary's text)."""

    steps: list[Step] = field(default_factory=list)
    summary: str = ""
    assurance: Assurance = Assurance.NONE
    notes: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        statuses = {step.status for step in self.steps}
        if StepStatus.FAILED in statuses or not self.steps:
            return Outcome.NOT_VERIFIED
        if StepStatus.CANNOT_VERIFY in statuses:
            return Outcome.CANNOT_VERIFY
        return Outcome.VERIFIED

    @property
    def ok(self) -> bool:
        """VERIFIED (at whatever assurance level)."""
        return self.outcome is Outcome.VERIFIED

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if s.status is StepStatus.FAILED), None)

    def add(self, name: str, status: StepStatus, detail: str) -> None:
        self.steps.append(Step(name, status, detail))

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "valid": self.ok,
            "assurance": self.assurance.value,
            "steps": [s.as_json() for s in self.steps],
            "summary": self.summary,
            "notes": list(self.notes),
        }
