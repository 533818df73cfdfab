"""The rule-set format: the default set, the digest's invariances, and named refusals."""

from __future__ import annotations

import hashlib
import tomllib

import pytest
import rfc8785

from evanchor.anchor.compliance.errors import RuleSetInvalid
from evanchor.anchor.compliance.rules import (
    MAX_RULE_SET_BYTES,
    default_rule_set,
    default_rule_set_text,
    parse_rule_set,
)

DEFAULT = default_rule_set_text()
DEFAULT_DIGEST = "d8716505060df040a4c45546d26e9f058d88e7058904f6f1a90bd92f3b3de220"
"""The shipped rule set's digest (docs/COMPLIANCE.md states it): changing the default rule
set changes every report's digest, so this test changes with it, on purpose."""


def parse(text: str) -> object:
    return parse_rule_set(text.encode(), source="rules.toml")


def test_the_default_rule_set_and_its_digest() -> None:
    rules = default_rule_set()
    assert rules.digest == DEFAULT_DIGEST
    # The digest is SHA-256 of the JCS bytes of the normalised form, recomputable by anyone.
    assert hashlib.sha256(rfc8785.dumps(rules.normalised())).hexdigest() == DEFAULT_DIGEST
    assert [rule.id for rule in rules.rules] == sorted(rule.id for rule in rules.rules)
    assert {rule.kind for rule in rules.rules} == {
        "quiet_hours",
        "contact_frequency",
        "forbidden_value",
        "requires_preceding",
    }


def _rewritten_by_hand() -> str:
    """The default rule set said differently: no comments, keys and rules in another order,
    tables instead of inline tables, defaults written out."""
    parsed = tomllib.loads(DEFAULT)
    lines = [
        'version = "2025.1"',
        'id = "cn-debt-collection"',
        "format_version = 1",
        'format = "evanchor/compliance-rules"',
        "[title]",
        f'en = "{parsed["title"]["en"]}"',
        f'zh-CN = "{parsed["title"]["zh-CN"]}"',
        "[rating]",
        "red_points = 10",
        "yellow_points = 1",
        "[local_time]",
        f'undeclared_time_zone = "{parsed["local_time"]["undeclared_time_zone"]}"',
    ]
    for rule in reversed(parsed["rules"]):
        lines.append("[[rules]]")
        for key in sorted(rule, reverse=True):
            value = rule[key]
            if key == "title":
                lines.append(f'title = {{ en = "{value["en"]}", zh-CN = "{value["zh-CN"]}" }}')
            elif isinstance(value, list):
                quoted = ", ".join(f'"{item}"' for item in reversed(value))
                lines.append(f"{key} = [{quoted}]")
            elif isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            else:
                lines.append(f"{key} = {value}")
        if rule["kind"] in ("quiet_hours", "contact_frequency") and "channels" not in rule:
            lines.append("channels = []")
        if rule["kind"] == "forbidden_value" and "applies_to" not in rule:
            lines.append('applies_to = "collection_checkpoint"')
    return "\n".join(lines) + "\n"


def test_formatting_order_and_defaults_do_not_change_the_digest() -> None:
    text = _rewritten_by_hand()
    assert text != DEFAULT
    assert parse(text).digest == DEFAULT_DIGEST  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('version = "2025.1"', 'version = "2025.2"'),
        ("red_points = 10", "red_points = 11"),
        ('start = "22:00"', 'start = "21:30"'),
        ("max_contacts = 3\n", "max_contacts = 4\n"),
        ('events = ["call", "sms", "visit"]', 'events = ["call", "sms"]'),
        ('values = ["third_party"]', 'values = ["third_party", "guarantor"]'),
        ("points = 10\n", "points = 9\n"),
        ('id = "QH-1"', 'id = "QH-2"'),
        ('undeclared_time_zone = "Asia/Shanghai"', 'undeclared_time_zone = "Asia/Urumqi"'),
        ('en = "Contact of a third party"', 'en = "Contact of third parties"'),
    ],
)
def test_any_parameter_changes_the_digest(old: str, new: str) -> None:
    assert old in DEFAULT
    changed = parse(DEFAULT.replace(old, new, 1))
    assert changed.digest != DEFAULT_DIGEST  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("[rating]", "colour = 1\n[rating]", "local_time.colour", "unknown key"),
        (
            "max_contacts = 3\n",
            "max_contacts = 3\nmax_calls = 2\n",
            "rules[1].max_calls",
            "unknown key",
        ),
        (
            "max_contacts = 3\n",
            'max_contacts = "3"\n',
            "rules[1].max_contacts",
            "expected an integer, got a string ('3')",
        ),
        (
            "points = 2\nwindow",
            "points = 2.5\nwindow",
            "rules[4].points",
            "expected an integer, got a float",
        ),
        (
            "yellow_points = 1",
            "yellow_points = true",
            "rating.yellow_points",
            "expected an integer, got a boolean",
        ),
        ('kind = "quiet_hours"', 'kind = "quiet"', "rules[0].kind", "expected one of quiet_hours"),
        ('kind = "quiet_hours"\n', "", "rules[0].kind", "got nothing"),
        ('start = "22:00"', 'start = "25:00"', "rules[0].start", "HH:MM"),
        ('start = "22:00"', 'start = "08:00"', "rules[0]", "quiet hours are empty"),
        (
            'events = ["call", "sms", "visit"]',
            'events = ["call", "phone"]',
            "rules[0].events[1]",
            "got a string ('phone')",
        ),
        (
            'events = ["call", "sms", "visit"]',
            'events = ["call", "call"]',
            "rules[0].events",
            "listed twice",
        ),
        (
            'events = ["call", "sms", "visit"]',
            "events = []",
            "rules[0].events",
            "must not be empty",
        ),
        (
            'field = "contact_target"',
            'field = "notes"',
            "rules[7].field",
            "expected one of event, channel",
        ),
        (
            'values = ["third_party"]',
            'values = ["third-party"]',
            "rules[7].values[0]",
            "not a value of collection_checkpoint.contact_target",
        ),
        (
            'preceded_by = ["bid_placed"]',
            'preceded_by = ["bid"]',
            "rules[10].preceded_by[0]",
            "not an event of auction_record",
        ),
        ('id = "CF-2"', 'id = "CF-1"', "rules[2].id", "already rules[1]'s id"),
        ('id = "CF-2"', 'id = "cf-2"', "rules[2].id", "does not match"),
        ("red_points = 10", "red_points = 1", "rating", "must be above yellow_points"),
        (
            'undeclared_time_zone = "Asia/Shanghai"',
            'undeclared_time_zone = "Asia/Shangai"',
            "local_time.undeclared_time_zone",
            "not a zone",
        ),
        (
            'en = "More than 3 calls a day" }',
            'en = "More than 3 calls a day", fr = "x" }',
            "rules[1].title.fr",
            "unknown key",
        ),
        (
            "format_version = 1",
            "format_version = 2",
            "format_version",
            "expected 1, got an integer (2)",
        ),
        (
            'format = "evanchor/compliance-rules"',
            'format = "x"',
            "format",
            "expected 'evanchor/compliance-rules'",
        ),
        ("[rating]\n", "[rating\n", "(file)", "not TOML"),
    ],
)
def test_bad_rule_sets_are_refused_naming_the_key(
    old: str, new: str, key: str, reason: str
) -> None:
    assert old in DEFAULT
    with pytest.raises(RuleSetInvalid) as raised:
        parse(DEFAULT.replace(old, new, 1))
    error = raised.value
    assert error.key == key
    assert reason in error.reason
    assert str(error).startswith(f"rules.toml: {key}: ")
    assert "\n" not in str(error)


def test_a_rule_error_names_the_rule_and_toml_names_the_line() -> None:
    with pytest.raises(RuleSetInvalid) as raised:
        parse(DEFAULT.replace("max_contacts = 3\n", 'max_contacts = "3"\n'))
    assert "(rule CF-1)" in raised.value.reason
    with pytest.raises(RuleSetInvalid) as raised:
        parse(DEFAULT + "\n[[rules]\n")
    assert "line" in raised.value.reason


def test_size_and_encoding_limits() -> None:
    with pytest.raises(RuleSetInvalid, match="over the limit"):
        parse_rule_set(b"#" * (MAX_RULE_SET_BYTES + 1), source="big.toml")
    with pytest.raises(RuleSetInvalid, match="not UTF-8"):
        parse_rule_set(b'format = "\xff"', source="bad.toml")
