"""The two kinds of evidence record, their validation, and the exact object that is committed.

A record is what an agency submits: a collection checkpoint (a call, a visit, a payment… in
a debt-collection case) or an auction record (a listing, a bid, a sale… of a judicial-auction
lot). Records are pydantic models at the edge: strict (no coercion: `"12"` is not an
integer, `1.0` is not money, `true` is not a number), closed (`extra="forbid"`), frozen.

The committed object is the submitted object, unchanged. Validation only accepts or refuses;
it never fills in defaults, trims strings or re-renders timestamps, because the submitter
must be able to reproduce the committed RFC 8785 bytes from what they sent. An optional
field is either present with a value or absent; `null` is never a value. `parse_record`
keeps the submitted object and `record_canonical_dict` hands it back.

Anything `parse_record` accepts can be canonicalised: strings are checked for lone
surrogates, every number is an integer within ±(2**53 - 1) and no field is a float.

Errors are `RecordInvalid` with the path of the first faulty field and one line of reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from evanchor.anchor.protocol.errors import RecordInvalid, format_path
from evanchor.anchor.protocol.jsonin import MAX_SAFE_INTEGER
from evanchor.anchor.protocol.uscc import uscc_problem

"""Largest integer a record may hold (RFC 8785 / I-JSON: exact in an IEEE 754 double)."""

MAX_ATTACHMENTS = 64
"""Attachment entries per record. Each is a digest, a media type and a size (~150 bytes);
64 keeps a record far below the 64 KiB input cap. More files belong in an archive."""

MAX_NOTES_CHARS = 4000
"""Free-text notes, in code points: a paragraph or two of context, not a document."""

MAX_DESCRIPTION_CHARS = 2000
"""An auction item's description, in code points."""

RecordKind = Literal["collection_checkpoint", "auction_record"]

CollectionEvent = Literal[
    "case_opened",
    "call",
    "sms",
    "letter",
    "visit",
    "negotiation",
    "promise_to_pay",
    "payment",
    "settlement",
    "dispute",
    "complaint",
    "legal_referral",
    "case_closed",
]
Channel = Literal["phone", "sms", "letter", "email", "in_person", "app", "other"]
AuctionEvent = Literal[
    "listed",
    "bid_placed",
    "closed",
    "sold",
    "unsold",
    "payment_received",
    "transfer_completed",
    "objection_filed",
]
ItemCategory = Literal["vehicle", "equipment", "real_estate", "equity", "other"]

# Compliance members of a collection checkpoint (PROTOCOL.md §1.1, schema revision 2): what
# the regulator's rules (evanchor.anchor.compliance) read. All optional: a record without
# them is valid and commits to the same bytes as under revision 1.
ContactTarget = Literal["debtor", "guarantor", "third_party"]
DataCategory = Literal[
    "identity",
    "contact",
    "contact_list",
    "financial",
    "location",
    "voice_recording",
    "image",
    "biometric",
    "health",
]
Finding = Literal[
    "impersonation_of_authority",
    "synthetic_media",
    "threat",
    "abusive_language",
    "false_legal_claim",
]

COLLECTION_EVENT_REQUIRES: Mapping[str, tuple[str, ...]] = {
    "promise_to_pay": ("amount",),
    "payment": ("amount",),
    "settlement": ("amount",),
}
"""Optional fields a collection event cannot do without: a payment, a promise to pay and a
settlement each have an amount."""

AUCTION_EVENT_REQUIRES: Mapping[str, tuple[str, ...]] = {
    "listed": ("reserve_price", "item"),
    "bid_placed": ("bid_amount", "bidder_ref"),
    "sold": ("hammer_price", "bidder_ref"),
}
"""Optional fields an auction event cannot do without."""


# ---------------------------------------------------------------------------------------
# Field checks. Each raises ValueError with a phrase that completes "<field>: ...".


def _charset(pattern: str, rule: str) -> Callable[[str], str]:
    """A check that `value` consists only of characters matching the one-character class
    `pattern`; the error names the first character that does not and states `rule`."""
    whole = re.compile(f"{pattern}*")
    one_char = re.compile(pattern)

    def check(value: str) -> str:
        if whole.fullmatch(value):
            return value
        for position, char in enumerate(value, start=1):
            if not one_char.fullmatch(char):
                raise ValueError(f"character {position} ({char!r}) is not allowed: {rule}")
        return value  # pragma: no cover - a string that fails `whole` has such a character

    return check


_CHECK_OF_PATTERN: dict[str, Callable[[str], str]] = {}


def _native(regex: str, check: Callable[[str], str]) -> str:
    """`regex` anchored at both ends, for a field's `pattern` constraint, with `check` as the
    source of its error message.

    pydantic-core matches the pattern natively, which spares a Python call per string in
    every record; only when it does not match does `_reason` run `check` for the message
    that names the fault. Requires `check` to accept exactly the strings `regex` matches in
    full, and to raise ValueError otherwise (tests/perf_equivalence holds each pair to it).
    """
    anchored = f"^(?:{regex})$"
    _CHECK_OF_PATTERN[anchored] = check
    return anchored


_IDENTIFIER_CLASS = r"[A-Za-z0-9._:/-]"
_PSEUDONYM_CLASS = r"[A-Za-z0-9._:-]"
_COURT_CASE_CLASS = r"[0-9A-Za-z\u3400-\u4DBF\u4E00-\u9FFF()\uFF08\uFF09\u3014\u3015._/-]"
_IDENTIFIER_RULE = "use letters, digits and . _ : / -"
_PSEUDONYM_RULE = "use letters, digits and . _ : -"
_COURT_CASE_RULE = (
    "use digits, Latin letters, CJK ideographs, brackets ( ) \uff08 \uff09 \u3014 \u3015 "
    "and . _ / -"
)

# Maximal digit runs, with the resident ID's possible trailing check letter X.
_DIGIT_RUN = re.compile(r"[0-9]+[Xx]?")
_MOBILE = re.compile(r"(?:86)?1[3-9][0-9]{9}")
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"


def _is_resident_id(run: str) -> bool:
    """GB 11643-1999 citizen ID: region, birth date YYYYMMDD, sequence, MOD 11-2 check."""
    if len(run) != 18 or not run[:17].isdigit() or run[0] == "0":
        return False
    try:
        birth = datetime.strptime(run[6:14], "%Y%m%d")
    except ValueError:
        return False
    if not 1900 <= birth.year <= 2099:
        return False
    total = sum(int(d) * w for d, w in zip(run[:17], _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11] == run[17].upper()


_pseudonym_charset = _charset(_PSEUDONYM_CLASS, _PSEUDONYM_RULE)


def _pseudonym(value: str) -> str:
    """Refuse a reference that carries a personal identifier. The value is never echoed:
    it may be exactly what must not be written down."""
    _pseudonym_charset(value)
    for run in _DIGIT_RUN.findall(value):
        if _is_resident_id(run):
            found = "a resident identity card number"
        elif _MOBILE.fullmatch(run):
            found = "a mobile phone number"
        else:
            continue
        raise ValueError(
            f"contains what looks like {found}; use a pseudonymous reference "
            "that only the agency can map back to the person"
        )
    return value


@functools.lru_cache(maxsize=4096)
def _uscc_problem(value: str) -> str | None:
    """`uscc_problem`, cached: a file or a node's traffic comes from a handful of agencies."""
    return uscc_problem(value)


def _uscc(value: str) -> str:
    problem = _uscc_problem(value)
    if problem is not None:
        raise ValueError(f"not a valid Unified Social Credit Code: {problem}")
    return value


_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# What `_text` accepts, for pydantic-core, whose strings never hold a lone surrogate: a
# string with one is refused before any pattern is tried (`string_unicode`).
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*"


def _text(value: str) -> str:
    """Free text: any character but C0 controls other than tab, LF and CR, DEL, and lone
    surrogates (which have no UTF-8 form and so cannot be canonicalised)."""
    found = _TEXT_FORBIDDEN.search(value)
    if found is not None:
        code = ord(found.group())
        what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise ValueError(
            f"character {found.start() + 1} (U+{code:04X}) is {what}; only tab, line feed "
            "and carriage return are allowed among control characters"
        )
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(
            f"expected an ISO 4217 code of three capital letters such as CNY, got {value[:8]!r}"
        )
    return value


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _sha256(value: str) -> str:
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError(
            f"expected 64 lowercase hex digits (a SHA-256 digest), got {len(value)} characters"
            + ("" if len(value) != 64 else " that are not all lowercase hex")
        )
    return value


_MEDIA_TYPE_NAME = r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(f"{_MEDIA_TYPE_NAME}/{_MEDIA_TYPE_NAME}")


def _media_type(value: str) -> str:
    """RFC 6838 type/subtype, lowercase (media types are case-insensitive: one spelling keeps
    records comparable), without parameters."""
    if not _MEDIA_TYPE.fullmatch(value):
        raise ValueError(
            f"expected a lowercase media type type/subtype without parameters, "
            f"such as application/pdf, got {value[:40]!r}"
        )
    return value


_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?P<fraction>\.[0-9]{1,9})?(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_TIMESTAMP_FORM = "YYYY-MM-DDTHH:MM:SS[.fraction] followed by Z or +HH:MM/-HH:MM"
MAX_UTC_OFFSET = timedelta(hours=14)
"""Largest UTC offset accepted: real zones span -12:00 to +14:00."""


@functools.lru_cache(maxsize=4096)
def _zone(offset_text: str) -> timezone:
    """The zone of an offset the timestamp pattern matched: `Z`, `+HH:MM` or `-HH:MM`.

    Cached because records repeat a handful of offsets (there are only ~3,400 valid ones)
    and building a zone costs more than the rest of the timestamp's checks.
    """
    if offset_text == "-00:00":
        raise ValueError("offset -00:00 means 'offset unknown' (RFC 3339 §4.3); give the offset")
    if offset_text == "Z":
        return UTC
    hours, minutes = int(offset_text[1:3]), int(offset_text[4:6])
    if minutes > 59:
        raise ValueError(f"offset {offset_text} has minutes over 59")
    delta = timedelta(hours=hours, minutes=minutes)
    if delta > MAX_UTC_OFFSET:
        raise ValueError(f"offset {offset_text} is beyond ±14:00")
    return timezone(-delta if offset_text[0] == "-" else delta)


def occurred_at_datetime(value: str) -> datetime:
    """Parse a record timestamp: RFC 3339 `date-time` with an explicit offset.

    The accepted profile is RFC 3339 §5.6 with a capital `T`, a capital `Z` or a numeric
    offset within ±14:00, and at most nine fraction digits; the unknown-offset form `-00:00`
    and leap second 60 are refused. Fraction digits beyond microseconds are dropped in the
    returned datetime, never in the record. Raises ValueError naming what is wrong.
    """
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"expected an RFC 3339 timestamp {_TIMESTAMP_FORM}, got {value[:40]!r}")
    offset_text = match["offset"]
    if offset_text is None:
        raise ValueError(
            "timestamp has no UTC offset: add Z or one such as +08:00 "
            "(a local time alone does not fix the moment)"
        )
    zone = _zone(offset_text)
    fraction = (match["fraction"] or ".0")[1:7].ljust(6, "0")
    date, time = match["date"], match["time"]
    try:
        # The pattern fixed every field's digits; datetime() refuses what is not a real
        # date or time (month 13, 31 April, hour 24, second 60) as strptime would, faster.
        return datetime(
            int(date[0:4]),
            int(date[5:7]),
            int(date[8:10]),
            int(time[0:2]),
            int(time[3:5]),
            int(time[6:8]),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a real date and time") from None


def _timestamp(value: str) -> str:
    occurred_at_datetime(value)
    return value


MAX_TIME_ZONE_CHARS = 64
"""An IANA time zone name: the longest in the database has 32 characters."""
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


def _time_zone(value: str) -> str:
    """The syntax of an IANA time zone name (`Asia/Shanghai`, `UTC`, `Etc/GMT-8`).

    Only the syntax: whether the name is in the time zone database is the compliance
    engine's question, so that a record stays valid for a verifier whose database is older
    or newer than the submitter's.
    """
    if not _TIME_ZONE.fullmatch(value):
        raise ValueError(
            f"expected an IANA time zone name such as Asia/Shanghai, got {value[:40]!r}"
        )
    return value


def _schema(pattern: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"pattern": f"^{pattern}+$"} | extra if pattern else extra


def _no_pattern(schema: dict[str, Any]) -> None:
    """Keep free text's JSON Schema as it is, without a pattern: the native pattern is only
    the fast form of `_text`."""
    schema.pop("pattern", None)


CaseId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=_native(f"{_IDENTIFIER_CLASS}*", _charset(_IDENTIFIER_CLASS, _IDENTIFIER_RULE)),
        json_schema_extra=_schema(_IDENTIFIER_CLASS),
    ),
]
Pseudonym = Annotated[
    str,
    Field(min_length=8, max_length=128, json_schema_extra=_schema(_PSEUDONYM_CLASS)),
    AfterValidator(_pseudonym),
]
CourtCaseNumber = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=_native(f"{_COURT_CASE_CLASS}*", _charset(_COURT_CASE_CLASS, _COURT_CASE_RULE)),
        json_schema_extra=_schema(_COURT_CASE_CLASS),
    ),
]
USCC = Annotated[
    str,
    Field(json_schema_extra={"pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"}),
    AfterValidator(_uscc),
]
Timestamp = Annotated[
    str,
    Field(
        json_schema_extra={
            "format": "date-time",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
            r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$",
        }
    ),
    AfterValidator(_timestamp),
]
Notes = Annotated[
    str,
    Field(
        max_length=MAX_NOTES_CHARS,
        pattern=_native(_TEXT, _text),
        json_schema_extra=_no_pattern,
    ),
]
SafeInt = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
TimeZoneName = Annotated[
    str,
    Field(
        max_length=MAX_TIME_ZONE_CHARS,
        json_schema_extra={"pattern": f"^{_TIME_ZONE.pattern}$"},
    ),
    AfterValidator(_time_zone),
]


# ---------------------------------------------------------------------------------------
# Models.

_COMMITTED_AT_ONCE = object()
"""Validation context of `check_record`: the caller commits the object itself, at once, so
the record keeps no copy of it."""


class _StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        """An optional field is present with a value or absent: never null, so that there
        is one way to say "absent" and the committed bytes do not depend on which was used."""
        if isinstance(data, dict):
            for name, value in data.items():
                if value is not None:
                    continue  # the common case, before the costlier field lookup
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if field is not None and not field.is_required():
                    raise PydanticCustomError(
                        "null_value",
                        "null is not a value here; leave the field out instead",
                        {"field": name},
                    )
        return data


class Money(_StrictModel):
    """An amount in the currency's minor unit (fen for CNY): integers only, never floats,
    because 0.1 + 0.2 != 0.3 in binary floating point and money must add up exactly."""

    minor_units: SafeInt = Field(description="Amount in minor units (e.g. fen), ≥ 0.")
    currency: Annotated[
        str,
        Field(pattern=_native("[A-Z]{3}", _currency), json_schema_extra={"pattern": "^[A-Z]{3}$"}),
    ] = Field(description="ISO 4217 alphabetic code, e.g. CNY.")


class Attachment(_StrictModel):
    """A file that goes with the record, by digest: the file itself is never submitted."""

    sha256: Annotated[
        str,
        Field(
            pattern=_native(_SHA256_HEX.pattern, _sha256),
            json_schema_extra={"pattern": "^[0-9a-f]{64}$"},
        ),
    ] = Field(description="SHA-256 of the file, 64 lowercase hex digits.")
    media_type: Annotated[
        str,
        Field(
            max_length=255,
            pattern=_native(_MEDIA_TYPE.pattern, _media_type),
            json_schema_extra={"pattern": f"^{_MEDIA_TYPE.pattern}$"},
        ),
    ] = Field(description="Lowercase media type, e.g. audio/mpeg.")
    size: SafeInt = Field(description="File size in bytes.")


class AuctionItem(_StrictModel):
    """What is being auctioned."""

    category: ItemCategory
    description: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_DESCRIPTION_CHARS,
            pattern=_native(_TEXT, _text),
            json_schema_extra=_no_pattern,
        ),
    ]


Attachments = Annotated[list[Attachment], Field(max_length=MAX_ATTACHMENTS)]


class _RecordModel(_StrictModel):
    """What both record kinds share: the submitted object, kept for committing."""

    _submitted: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_submitted(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        record = handler(data)
        if (
            info.context is not _COMMITTED_AT_ONCE
            and isinstance(data, dict)
            and isinstance(record, _RecordModel)
        ):
            record._submitted = _copy_json(data)
        return record

    def _require_for_event(self, event: str, table: Mapping[str, tuple[str, ...]]) -> None:
        for name in table.get(event, ()):
            if getattr(self, name) is None:
                raise PydanticCustomError(
                    "required_for_event",
                    "required when event is '{event}'",
                    {"field": name, "event": event},
                )

    def _check_unique(self, name: str, values: Sequence[str]) -> None:
        """A list member that is a set: each value once, so that a record has one form."""
        first_seen: dict[str, int] = {}
        for index, value in enumerate(values):
            earlier = first_seen.setdefault(value, index)
            if earlier != index:
                raise PydanticCustomError(
                    "duplicate_value",
                    "'{value}' is already {name}[{earlier}]; list each value once",
                    {"field": f"{name}[{index}]", "value": value, "name": name, "earlier": earlier},
                )

    def _check_attachments(self, attachments: list[Attachment]) -> None:
        first_seen: dict[str, int] = {}
        for index, attachment in enumerate(attachments):
            earlier = first_seen.setdefault(attachment.sha256, index)
            if earlier != index:
                raise PydanticCustomError(
                    "duplicate_attachment",
                    "same digest as attachments[{earlier}]; list each file once",
                    {"field": f"attachments[{index}].sha256", "earlier": earlier},
                )


class CollectionCheckpoint(_RecordModel):
    """One step in a debt-collection case, recorded when it happens."""

    model_config = ConfigDict(
        title="Collection checkpoint",
        json_schema_extra=lambda schema: _add_event_requirements(schema, COLLECTION_EVENT_REQUIRES),
    )

    kind: Literal["collection_checkpoint"]
    case_id: CaseId = Field(description="The agency's case identifier.")
    agency: USCC = Field(description="Unified Social Credit Code of the collection agency.")
    debtor_ref: Pseudonym = Field(
        description="Pseudonymous debtor reference that only the agency can resolve; "
        "never a name, ID card number or phone number."
    )
    event: CollectionEvent
    occurred_at: Timestamp = Field(description="When it happened, RFC 3339 with an offset.")
    channel: Channel
    operator_id: CaseId = Field(description="The agency's identifier for its staff member.")
    amount: Money | None = Field(
        default=None, description="Required for promise_to_pay, payment and settlement."
    )
    attachments: Attachments = Field(default_factory=list)
    notes: Notes | None = None
    # Schema revision 2 (PROTOCOL.md §1.1): what the compliance rules read.
    debtor_time_zone: TimeZoneName | None = Field(
        default=None,
        description="The debtor's IANA time zone, e.g. Asia/Shanghai: the local time of the "
        "quiet-hours and contact-frequency rules. Without it, the occurred_at offset is "
        "taken as the debtor's local offset (unless the rule set names a zone).",
    )
    contact_target: ContactTarget | None = Field(
        default=None,
        description="Who was contacted: the debtor, a guarantor, or a third party "
        "(relatives, colleagues, other contacts of the debtor).",
    )
    data_categories: Annotated[
        list[DataCategory], Field(max_length=16, json_schema_extra={"uniqueItems": True})
    ] = Field(
        default_factory=list,
        description="Categories of the debtor's personal data this step collected or used, "
        "each once (biometric: face, voiceprint or fingerprint used to identify a person; "
        "contact_list: the debtor's address book or call log).",
    )
    findings: Annotated[
        list[Finding], Field(max_length=8, json_schema_extra={"uniqueItems": True})
    ] = Field(
        default_factory=list,
        description="Conduct in this step that the agency's own quality review found "
        "(speech analytics, supervisor review) or that a complaint alleges, each once.",
    )

    @model_validator(mode="after")
    def _event_fields(self) -> Self:
        self._require_for_event(self.event, COLLECTION_EVENT_REQUIRES)
        self._check_attachments(self.attachments)
        self._check_unique("data_categories", self.data_categories)
        self._check_unique("findings", self.findings)
        return self


class AuctionRecord(_RecordModel):
    """One step in the life of a judicial-auction lot."""

    model_config = ConfigDict(
        title="Auction record",
        json_schema_extra=lambda schema: _add_event_requirements(schema, AUCTION_EVENT_REQUIRES),
    )

    kind: Literal["auction_record"]
    lot_id: CaseId = Field(description="The auction house's lot identifier.")
    court_case_number: CourtCaseNumber = Field(
        description="The court's enforcement case number, e.g. (2026)沪0101执恢123号."
    )
    auction_house: USCC = Field(description="Unified Social Credit Code of the auction house.")
    event: AuctionEvent
    occurred_at: Timestamp = Field(description="When it happened, RFC 3339 with an offset.")
    reserve_price: Money | None = Field(default=None, description="Required for listed.")
    bid_amount: Money | None = Field(default=None, description="Required for bid_placed.")
    hammer_price: Money | None = Field(default=None, description="Required for sold.")
    bidder_ref: Pseudonym | None = Field(
        default=None, description="Pseudonymous bidder reference; required for bid_placed, sold."
    )
    item: AuctionItem | None = Field(default=None, description="Required for listed.")
    attachments: Attachments = Field(default_factory=list)
    notes: Notes | None = None

    @model_validator(mode="after")
    def _event_fields(self) -> Self:
        self._require_for_event(self.event, AUCTION_EVENT_REQUIRES)
        currencies = {
            name: money.currency
            for name in ("reserve_price", "bid_amount", "hammer_price")
            if (money := getattr(self, name)) is not None
        }
        if len(set(currencies.values())) > 1:
            names = list(currencies)
            raise PydanticCustomError(
                "currency_mismatch",
                "currency '{found}' differs from {other}.currency '{expected}'",
                {
                    "field": f"{names[-1]}.currency",
                    "found": currencies[names[-1]],
                    "other": names[0],
                    "expected": currencies[names[0]],
                },
            )
        self._check_attachments(self.attachments)
        return self


Record = Annotated[CollectionCheckpoint | AuctionRecord, Field(discriminator="kind")]

_MODELS: dict[str, type[CollectionCheckpoint] | type[AuctionRecord]] = {
    "collection_checkpoint": CollectionCheckpoint,
    "auction_record": AuctionRecord,
}
RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)


# ---------------------------------------------------------------------------------------
# Public functions.


def parse_record(
    obj: Any, *, where: str = "", line: int | None = None
) -> CollectionCheckpoint | AuctionRecord:
    """Validate a parsed JSON object as a record; the object's `kind` picks the schema.

    Raises RecordInvalid naming the first faulty field (and counting the others), with
    `where` (such as "batch.jsonl") and `line` put in front of the message when given.
    `obj` is expected from `evanchor.anchor.protocol.jsonin` but any dict is checked in full.
    """
    try:
        return _validate(obj)
    except RecordInvalid as err:
        raise err.located(source=where or None, line=line) from None


def check_record(obj: Any, *, where: str = "") -> CollectionCheckpoint | AuctionRecord:
    """`parse_record` for a caller that commits `obj` itself, at once (`prepare_record`).

    The same checks and the same errors; what it leaves out is the copy of `obj` a record
    keeps for `record_canonical_dict`, which therefore refuses the record this returns.
    Requires that `obj` does not change between this call and its canonicalisation.
    """
    try:
        return _validate(obj, _COMMITTED_AT_ONCE)
    except RecordInvalid as err:
        raise err.located(source=where or None) from None


def _validate(obj: Any, context: object = None) -> CollectionCheckpoint | AuctionRecord:
    if not isinstance(obj, dict):
        raise RecordInvalid("(record)", f"expected an object, got {_describe(obj)}")
    if "kind" not in obj:
        raise RecordInvalid("kind", f"required field is missing (one of {_kinds()})")
    kind = obj["kind"]
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise RecordInvalid("kind", f"expected one of {_kinds()}, got {_describe(kind)}")
    try:
        return model.model_validate(obj, context=context)
    except ValidationError as err:
        raise _record_invalid(err) from None


def record_canonical_dict(record: CollectionCheckpoint | AuctionRecord) -> dict[str, Any]:
    """The JSON object that gets committed: the submitted object, exactly as validated.

    Returns a fresh copy each call. Raises ValueError for a record that did not come from
    validation (`model_construct`) or was altered after it (`model_copy(update=...)`):
    committing anything but what was checked would defeat the check.
    """
    submitted = record._submitted
    if not submitted or record.model_dump(mode="json", exclude_unset=True) != submitted:
        raise ValueError("record was not produced by validation, or changed after it")
    copied: dict[str, Any] = _copy_json(submitted)
    return copied


def record_agency(record: CollectionCheckpoint | AuctionRecord) -> str:
    """The USCC of the organisation that submits the record."""
    if isinstance(record, CollectionCheckpoint):
        return record.agency
    return record.auction_house


def record_case_key(record: CollectionCheckpoint | AuctionRecord) -> str:
    """The key that links a record to the previous one of its case: `collection/<case_id>`
    or `auction/<lot_id>` (the two namespaces cannot collide)."""
    if isinstance(record, CollectionCheckpoint):
        return f"collection/{record.case_id}"
    return f"auction/{record.lot_id}"


def record_json_schema(kind: RecordKind) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one record kind.

    It states everything a schema can: types, lengths, character sets, enums, the fields
    each event requires. The USCC check character, the personal-number guard on references
    and the calendar check on timestamps are beyond it and are only enforced by
    `parse_record`.
    """
    schema = _MODELS[kind].model_json_schema(schema_generator=_NoNullJsonSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# ---------------------------------------------------------------------------------------
# Helpers.


class _NoNullJsonSchema(GenerateJsonSchema):
    """Optional fields are written `X | None = None` in Python, but null is refused: the
    schema shows them as plain optional properties, without `null` and without a default."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) in (None, []):
            json_schema.pop("default")
        return json_schema


def _add_event_requirements(schema: dict[str, Any], table: Mapping[str, tuple[str, ...]]) -> None:
    schema["allOf"] = [
        {
            "if": {"properties": {"event": {"const": event}}, "required": ["event"]},
            "then": {"required": list(fields)},
        }
        for event, fields in table.items()
    ]


def _copy_json(value: Any) -> Any:
    """Deep copy of a JSON-shaped value (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {
            key: _copy_json(item) if isinstance(item, dict | list) else item
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _kinds() -> str:
    return " or ".join(repr(kind) for kind in RECORD_KINDS)


def _describe(value: Any) -> str:
    """A value's JSON type for a message; short strings and numbers are shown."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 32 else "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _record_invalid(err: ValidationError) -> RecordInvalid:
    first = err.errors(include_url=False)[0]
    ctx = first.get("ctx") or {}
    loc: tuple[str | int, ...] = first["loc"]
    if not loc and "field" in ctx:
        path = str(ctx["field"])
    else:
        path = format_path(loc) if loc else "(record)"
    reason = _reason(first["type"], loc, first["input"], ctx, first["msg"])
    others = err.error_count() - 1
    if others:
        reason += f" (and {others} more problem{'s' if others > 1 else ''})"
    return RecordInvalid(path, reason)


def _reason(
    kind: str, loc: tuple[str | int, ...], value: Any, ctx: dict[str, Any], message: str
) -> str:
    """One phrase for one pydantic error; pydantic's own wording where it already is clear."""
    got = _describe(value)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the schema)"
    if kind == "int_type":
        if loc and loc[-1] == "minor_units":
            never = " (money is never a float)" if isinstance(value, float) else ""
            return f"expected an integer number of minor units, got {got}{never}"
        return f"expected an integer, got {got}"
    if kind == "string_type":
        return f"expected a string, got {got}"
    if kind == "string_unicode":
        return "string holds a lone surrogate, which has no UTF-8 form"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected an object, got {got}"
    if kind == "list_type":
        return f"expected an array, got {got}"
    if kind == "literal_error":
        return f"expected one of {ctx['expected']}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {value}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {value}"
    if kind == "string_too_short" and ctx["min_length"] == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"must have at least {ctx['min_length']} characters, got {len(value)}"
    if kind == "string_too_long":
        return f"must have at most {ctx['max_length']} characters, got {len(value)}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items, got {ctx['actual_length']}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_pattern_mismatch" and ctx["pattern"] in _CHECK_OF_PATTERN:
        try:
            _CHECK_OF_PATTERN[ctx["pattern"]](value)
        except ValueError as error:
            return str(error)
    return message
