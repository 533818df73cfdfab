"""The compliance flags a submission's receipt lists: the agency's own feedback, at once.

A record that trips a rule is accepted and anchored exactly like any other; its receipt
(the API's answer, `evanchor submit`'s output) lists the flags so the agency learns at once.
The flags are not stored with the record: they are computed from the log, and a report
recomputes them (docs/COMPLIANCE.md, "Feedback at submission").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evanchor.anchor.compliance.engine import Flag
from evanchor.anchor.compliance.rules import Lang, RuleSet
from evanchor.anchor.compliance.texts import flag_reason

HISTORY_LIMIT = 100
"""Earlier records of a case read for a submission's flags: one bounded range scan per
case, each record parsed (~20-60 us). A frequency cap needs the last week of contacts (the
default caps allow at most 47 a week); a completeness rule whose required event lies beyond
them is left undecided at submission, and to the report."""

FEEDBACK_MAX_RECORDS = 10_000
"""Submissions of more records than this (bulk imports of a file) get no flags on their
receipts: the cost would rival the append itself, and `evanchor compliance report` gives
the same flags, and more, over the whole log."""


def rule_set_ref(rules: RuleSet) -> dict[str, str]:
    return {"id": rules.id, "version": rules.version, "digest": rules.digest}


def flags_json(flags: Sequence[Flag], rules: RuleSet, lang: Lang) -> list[dict[str, Any]]:
    """The flags of one receipt, as the API and `evanchor submit --json` give them."""
    out = []
    for flag in flags:
        rule = rules.rule(flag.rule_id)
        out.append(
            {
                **flag.as_json(),
                "rule_title": rule.title.text(lang),
                "points": rule.points,
                "reason": flag_reason(flag, lang),
            }
        )
    return out
