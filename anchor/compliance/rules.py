"""Rule sets as data: the TOML format, its validation, its canonical form and digest.

A rule set is a TOML file (docs/COMPLIANCE.md, "Rule-set format"): a header naming the set
and its version, how the debtor's local time is found, the rating thresholds, and a list of
rules, each of one `kind` with that kind's parameters. Validation is strict (no coercion:
`"3"` is not an integer) and closed (an unknown key is refused, and the error names its
path, like `rules[2].max_contacts`), so that a typo cannot silently switch a rule off.

The **digest** of a rule set is SHA-256 of the RFC 8785 (JCS) bytes of its normalised form:
every key with its value (defaults filled in), rules ordered by id, value lists sorted.
Comments, formatting, key order and the order of rules therefore do not change it; any
parameter does. Every report and every flag names the rule set by it.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

import rfc8785
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evanchor.anchor.compliance.errors import RuleSetInvalid
from evanchor.anchor.compliance.localtime import time_zone
from evanchor.anchor.protocol.records import (
    AuctionEvent,
    AuctionRecord,
    Channel,
    CollectionCheckpoint,
    CollectionEvent,
    RecordKind,
)

RULE_SET_FORMAT = "evanchor/compliance-rules"
FORMAT_VERSION = 1
MAX_RULE_SET_BYTES = 256 * 1024
"""Largest rule-set file read: a rule set is a page of parameters, never data."""
DEFAULT_RULES_RESOURCE = "default_rules.toml"

Lang = Literal["zh-CN", "en"]
LANGUAGES: tuple[Lang, ...] = get_args(Lang)

FORBIDDEN_VALUE_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    "collection_checkpoint": (
        "event",
        "channel",
        "contact_target",
        "data_categories",
        "findings",
    ),
    "auction_record": ("event",),
}
"""Record members a `forbidden_value` rule may test: those with a closed set of values,
so that the rule set's values are checked against the record schema when it is loaded."""

_MODELS: dict[RecordKind, type[CollectionCheckpoint] | type[AuctionRecord]] = {
    "collection_checkpoint": CollectionCheckpoint,
    "auction_record": AuctionRecord,
}
_EVENTS: dict[RecordKind, tuple[str, ...]] = {
    "collection_checkpoint": get_args(CollectionEvent),
    "auction_record": get_args(AuctionEvent),
}


def allowed_values(kind: RecordKind, field: str) -> tuple[str, ...]:
    """The values record member `field` of `kind` can take (its schema's enum)."""
    annotation = _MODELS[kind].model_fields[field].annotation
    values: list[str] = []
    pending: list[Any] = [annotation]
    while pending:  # unwrap Optional[...], list[...], Annotated[...] down to the Literal
        current = pending.pop()
        arguments = get_args(current)
        if arguments and all(isinstance(a, str) for a in arguments):
            values += arguments
        else:
            pending += [a for a in arguments if a is not type(None)]
    return tuple(values)


# ---------------------------------------------------------------------------------------
# Field types.

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError(f"expected a time of day HH:MM (00:00 to 23:59), got {value[:20]!r}")
    return value


def _known_zone(value: str) -> str:
    if time_zone(value) is None:
        raise ValueError(
            f"{value[:40]!r} is not a zone of the time zone database (e.g. Asia/Shanghai)"
        )
    return value


def _unique_sorted(values: list[str]) -> list[str]:
    """A list that means a set: refused with a repeat, kept sorted (the normalised form)."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return sorted(values)


_RULE_ID = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*"
_SET_ID = r"[a-z0-9][a-z0-9._-]*"
_VERSION = r"[0-9A-Za-z][0-9A-Za-z.+-]*"
RuleId = Annotated[str, Field(min_length=1, max_length=32, pattern=f"^{_RULE_ID}$")]
SetId = Annotated[str, Field(min_length=1, max_length=64, pattern=f"^{_SET_ID}$")]
Version = Annotated[str, Field(min_length=1, max_length=32, pattern=f"^{_VERSION}$")]
ClockTime = Annotated[str, AfterValidator(_clock)]
ZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_zone)]
Points = Annotated[int, Field(ge=0, le=1_000_000)]
TextLine = Annotated[str, Field(min_length=1, max_length=300)]
EventList = Annotated[list[CollectionEvent], Field(min_length=1), AfterValidator(_unique_sorted)]
ChannelList = Annotated[list[Channel], AfterValidator(_unique_sorted)]
NameList = Annotated[list[str], Field(min_length=1), AfterValidator(_unique_sorted)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Texts(_Strict):
    """Person-facing text in each language a report is written in."""

    zh_cn: TextLine = Field(alias="zh-CN")
    en: TextLine

    def text(self, lang: Lang) -> str:
        return self.zh_cn if lang == "zh-CN" else self.en


class LocalTime(_Strict):
    """How the debtor's local time is found when a record declares no `debtor_time_zone`."""

    undeclared_time_zone: ZoneName | None = None
    """Absent: the `occurred_at` offset is the debtor's local offset."""


class Rating(_Strict):
    """Per agency, the points of its flags in the period give its rating: green below
    `yellow_points`, yellow from it, red from `red_points`."""

    yellow_points: Annotated[int, Field(ge=1, le=1_000_000)]
    red_points: Annotated[int, Field(ge=1, le=1_000_000)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.red_points <= self.yellow_points:
            raise ValueError(
                f"red_points ({self.red_points}) must be above yellow_points ({self.yellow_points})"
            )
        return self


class _Rule(_Strict):
    id: RuleId
    version: Annotated[int, Field(ge=1, le=1_000_000)]
    title: Texts
    points: Points
    """Added to the agency's points for each flag of this rule."""


class QuietHoursRule(_Rule):
    """No contact between `start` and `end` (local time, half-open, may wrap midnight)."""

    kind: Literal["quiet_hours"]
    start: ClockTime
    end: ClockTime
    events: EventList
    channels: ChannelList = Field(default_factory=list)
    """Empty: every channel."""

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(f"start and end are both {self.start}: the quiet hours are empty")
        return self

    def minutes(self) -> tuple[int, int]:
        """(start, end) in minutes after local midnight."""
        start_h, start_m = self.start.split(":")
        end_h, end_m = self.end.split(":")
        return int(start_h) * 60 + int(start_m), int(end_h) * 60 + int(end_m)


class ContactFrequencyRule(_Rule):
    """At most `max_contacts` contacts per debtor per local calendar day or ISO week."""

    kind: Literal["contact_frequency"]
    window: Literal["day", "week"]
    max_contacts: Annotated[int, Field(ge=1, le=1_000_000)]
    events: EventList
    channels: ChannelList = Field(default_factory=list)
    """Empty: every channel."""


class ForbiddenValueRule(_Rule):
    """A record whose `field` holds (or, for a list, contains) one of `values`."""

    kind: Literal["forbidden_value"]
    applies_to: RecordKind = "collection_checkpoint"
    field: str
    values: NameList

    @model_validator(mode="after")
    def _schema_values(self) -> Self:
        fields = FORBIDDEN_VALUE_FIELDS[self.applies_to]
        if self.field not in fields:
            raise _KeyError("field", f"expected one of {_names(fields)} for {self.applies_to}")
        allowed = allowed_values(self.applies_to, self.field)
        for position, value in enumerate(self.values):
            if value not in allowed:
                raise _KeyError(
                    f"values[{position}]",
                    f"{value!r} is not a value of {self.applies_to}.{self.field}"
                    f" (one of {_names(allowed)})",
                )
        return self


class RequiresPrecedingRule(_Rule):
    """A record whose event is one of `events` needs an earlier record of the same case
    (in the case's log order) whose event is one of `preceded_by`."""

    kind: Literal["requires_preceding"]
    applies_to: RecordKind = "collection_checkpoint"
    events: NameList
    preceded_by: NameList

    @model_validator(mode="after")
    def _schema_events(self) -> Self:
        allowed = _EVENTS[self.applies_to]
        for name in ("events", "preceded_by"):
            for position, value in enumerate(getattr(self, name)):
                if value not in allowed:
                    raise _KeyError(
                        f"{name}[{position}]",
                        f"{value!r} is not an event of {self.applies_to}"
                        f" (one of {_names(allowed)})",
                    )
        return self


AnyRule = QuietHoursRule | ContactFrequencyRule | ForbiddenValueRule | RequiresPrecedingRule
Rule = Annotated[AnyRule, Field(discriminator="kind")]
RULE_KINDS = ("quiet_hours", "contact_frequency", "forbidden_value", "requires_preceding")


class RuleSet(_Strict):
    """A validated rule set. `rules` are ordered by id (the normalised order)."""

    format: Literal["evanchor/compliance-rules"]
    format_version: Literal[1]
    id: SetId
    version: Version
    title: Texts
    local_time: LocalTime = Field(default_factory=LocalTime)
    rating: Rating
    rules: Annotated[list[Rule], Field(min_length=1, max_length=200)]

    @field_validator("rules")
    @classmethod
    def _ids_unique(cls, rules: list[Any]) -> list[Any]:
        seen: dict[str, int] = {}
        for position, rule in enumerate(rules):
            earlier = seen.setdefault(rule.id, position)
            if earlier != position:
                raise _KeyError(f"[{position}].id", f"{rule.id!r} is already rules[{earlier}]'s id")
        return sorted(rules, key=lambda rule: str(rule.id))

    def normalised(self) -> dict[str, Any]:
        """The normalised form: every key, defaults filled in, rules by id, lists sorted."""
        dumped: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return dumped

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the JCS bytes of the normalised form."""
        return rule_set_digest(self.normalised())

    def rule(self, rule_id: str) -> AnyRule:
        """The rule with id `rule_id`. Requires it to be one of `rules`."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def rule_set_digest(normalised: dict[str, Any]) -> str:
    """SHA-256 of RFC 8785 bytes: anyone can recompute it from a report's `rule_set.rules`."""
    return hashlib.sha256(rfc8785.dumps(normalised)).hexdigest()


# ---------------------------------------------------------------------------------------
# Loading.


class _KeyError(ValueError):
    """Raised inside a validator to name a key below the one being validated."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


def load_rule_set(path: Path) -> RuleSet:
    """Read and validate a rule-set file. Raises RuleSetInvalid naming the key at fault."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RuleSetInvalid(str(path), "(file)", error.strerror or str(error)) from None
    return parse_rule_set(data, source=str(path))


def default_rule_set() -> RuleSet:
    """The rule set shipped with evanchor (`default_rules.toml`, docs/COMPLIANCE.md)."""
    return parse_rule_set(default_rule_set_text().encode(), source=DEFAULT_RULES_RESOURCE)


def default_rule_set_text() -> str:
    resource = importlib.resources.files("evanchor.anchor.compliance") / DEFAULT_RULES_RESOURCE
    return resource.read_text(encoding="utf-8")


def parse_rule_set(data: bytes, *, source: str) -> RuleSet:
    """Validate the bytes of a rule-set file; `source` names it in errors."""
    if len(data) > MAX_RULE_SET_BYTES:
        raise RuleSetInvalid(
            source, "(file)", f"{len(data)} bytes, over the limit of {MAX_RULE_SET_BYTES}"
        )
    try:
        text = data.decode("utf-8")
        parsed = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise RuleSetInvalid(source, "(file)", f"not UTF-8 at byte {error.start}") from None
    except tomllib.TOMLDecodeError as error:
        raise RuleSetInvalid(source, "(file)", f"not TOML: {error}") from None
    if parsed.get("format") != RULE_SET_FORMAT:
        raise RuleSetInvalid(
            source, "format", f"expected {RULE_SET_FORMAT!r}, got {_describe(parsed.get('format'))}"
        )
    try:
        return RuleSet.model_validate(parsed)
    except ValidationError as error:
        key, reason = _first_problem(error, parsed)
        raise RuleSetInvalid(source, key, reason) from None


def _first_problem(error: ValidationError, parsed: dict[str, Any]) -> tuple[str, str]:
    """The key path and the reason of the first problem pydantic found."""
    first = error.errors(include_url=False)[0]
    loc = _without_union_tags(first["loc"])
    ctx = first.get("ctx") or {}
    found = ctx.get("error")
    if isinstance(found, _KeyError):
        prefix = toml_path(loc)
        sub = found.key if found.key.startswith("[") or not prefix else "." + found.key
        key = prefix + sub
        reason = found.reason
    elif first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = toml_path((*loc, "kind"))
        reason = f"expected one of {_names(RULE_KINDS)}, got {_describe(ctx.get('tag'))}"
    else:
        key = toml_path(loc) if loc else "(file)"
        reason = _reason(first["type"], first["input"], ctx, first["msg"])
    rule_id = _rule_id_at(loc, parsed)
    if rule_id is not None:
        reason += f" (rule {rule_id})"
    others = error.error_count() - 1
    if others:
        reason += f" (and {others} more problem{'s' if others > 1 else ''})"
    return key, reason


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_path(parts: Sequence[str | int]) -> str:
    """A key's path as TOML writes it: `rules[2].title.zh-CN`; a key that is not a bare
    TOML key is quoted (`rules[0]."odd key"`)."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            text = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out.append(f".{text}" if out else text)
    return "".join(out)


def _without_union_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """pydantic puts a discriminated union's tag in the path (`rules.0.quiet_hours.start`);
    the file has no such key."""
    out: list[str | int] = []
    for position, part in enumerate(loc):
        after_rule = position >= 2 and loc[0] == "rules" and position == 2
        if after_rule and part in RULE_KINDS:
            continue
        out.append(part)
    return tuple(out)


def _rule_id_at(loc: tuple[str | int, ...], parsed: dict[str, Any]) -> str | None:
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return None
    rules = parsed.get("rules")
    if not isinstance(rules, list) or not 0 <= loc[1] < len(rules):
        return None
    rule = rules[loc[1]]
    rule_id = rule.get("id") if isinstance(rule, dict) else None
    return rule_id if isinstance(rule_id, str) and len(rule_id) <= 32 else None


_TYPE_NAMES = {
    "int_type": "an integer",
    "string_type": "a string",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _reason(kind: str, value: Any, ctx: dict[str, Any], message: str) -> str:
    got = _describe(value)
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (not part of the rule-set format)"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {got}"
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {value!r}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {value!r}"
    if kind == "string_pattern_mismatch":
        return f"{got} does not match {ctx['pattern']}"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in ("string_too_long", "too_long"):
        return f"is too long (at most {ctx.get('max_length')})"
    if kind == "value_error":
        return str(ctx["error"])
    return message


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 32 else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}"


def _names(values: Sequence[str]) -> str:
    return ", ".join(values)
