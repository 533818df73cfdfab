"""The two languages of person-facing output, and how times, amounts and sizes read in them.

Chinese (zh-CN) is the default: the readers are Chinese courts, agencies and regulators.
Times are shown in Beijing time (UTC+8; China has kept no daylight saving time since 1991,
so a fixed offset is exact) with the UTC value beside it, because the records are written
in +08:00 while chains and the node's clock speak UTC. Amounts are converted from the
integer minor units a record holds, only for currencies whose ISO 4217 exponent is known
here; any other amount is shown as the record states it, never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from evanchor.anchor.protocol.records import occurred_at_datetime

BEIJING = timezone(timedelta(hours=8))


class Lang(StrEnum):
    ZH = "zh-CN"
    EN = "en"


def pick(lang: Lang, zh: str, en: str) -> str:
    """The wording of `lang`: both are written side by side where they are used, so that a
    reviewer reads the two versions together."""
    return zh if lang is Lang.ZH else en


_FRACTION = re.compile(r"T[0-9:]{8}(\.[0-9]{1,9})")


def _clock(moment: datetime, fraction: str) -> str:
    # The year with four digits: strftime's %Y gives "5" for the year 5 on glibc.
    return f"{moment.year:04d}-" + moment.strftime("%m-%d %H:%M:%S") + fraction


def dual_time(moment: datetime, lang: Lang, fraction: str = "") -> str:
    """`moment` in Beijing time with UTC beside it; `fraction` (".250") is kept as written."""
    local = _clock(moment.astimezone(BEIJING), fraction)
    utc = _clock(moment.astimezone(UTC), fraction)
    return pick(lang, f"{local} 北京时间（UTC {utc}）", f"{local} Beijing time (UTC {utc})")


def dual_timestamp_text(text: str, lang: Lang) -> str:
    """An RFC 3339 timestamp (a record's `occurred_at`, the node's `accepted_at`) rendered by
    `dual_time`, with the text as written added when its offset is neither +08:00 nor Z."""
    moment = occurred_at_datetime(text)
    found = _FRACTION.search(text)
    shown = dual_time(moment, lang, found.group(1) if found else "")
    if text.endswith(("Z", "+08:00")):
        return shown
    return shown + pick(lang, f"；原文 {text}", f"; as written {text}")


def dual_epoch(seconds: int, lang: Lang) -> str:
    """Seconds since the epoch (a block's timestamp), rendered by `dual_time`."""
    return dual_time(datetime.fromtimestamp(seconds, UTC), lang)


CURRENCY_EXPONENTS = {"CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2}
"""ISO 4217 minor-unit exponents of the currencies whose amounts are converted."""

_CURRENCY_NAMES_ZH = {"CNY": "人民币", "HKD": "港元", "MOP": "澳门元", "TWD": "新台币",
                      "USD": "美元", "EUR": "欧元", "GBP": "英镑"}  # fmt: skip


def money(minor_units: int, currency: str, lang: Lang) -> str:
    """An amount in major units ("人民币 12,500.00 元", "CNY 12,500.00") from minor units."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        return pick(
            lang,
            f"{minor_units:,} 个最小货币单位（{currency}）",
            f"{minor_units:,} minor units of {currency}",
        )
    major, minor = divmod(minor_units, 10**exponent)
    amount = f"{major:,}.{minor:0{exponent}d}"
    if currency == "CNY":
        return pick(lang, f"人民币 {amount} 元", f"CNY {amount}")
    return pick(
        lang, f"{_CURRENCY_NAMES_ZH[currency]} {amount}（{currency}）", f"{currency} {amount}"
    )


def byte_size(size: int, lang: Lang) -> str:
    return pick(lang, f"{size:,} 字节", f"{size:,} bytes")
