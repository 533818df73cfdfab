"""A verified record's fields, readably: labels and coded values in words, amounts in yuan,
times in Beijing time with UTC beside them.

Requires a record that verification accepted (so every field is known and well-formed).
Free text (notes, an item's description) and identifiers are shown exactly as written:
they are what the record says, in the submitter's words. Every member of the record is shown:
one this module has no label for (a later schema revision's) is shown under its own name, as
written, so that a reader never misses part of what was committed.

The verification page (anchor/verify/js/page/record_view.mjs) carries the same tables and
renders the same rows; tests/verify_page holds the two equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from evanchor.anchor.protocol.value_words import CONTACT_TARGETS, DATA_CATEGORIES, FINDINGS
from evanchor.anchor.report.language import Lang, byte_size, dual_timestamp_text, money, pick


@dataclass(frozen=True)
class FieldRow:
    name: str
    """The record's member name (stable, for JSON)."""
    label: str
    value: str


KINDS = {
    "collection_checkpoint": ("催收过程记录", "Debt-collection record"),
    "auction_record": ("司法拍卖记录", "Judicial-auction record"),
}
COLLECTION_EVENTS = {
    "case_opened": ("接案", "case opened"),
    "call": ("电话联系", "phone call"),
    "sms": ("发送短信", "text message"),
    "letter": ("寄送信函", "letter"),
    "visit": ("上门走访", "visit"),
    "negotiation": ("协商", "negotiation"),
    "promise_to_pay": ("承诺还款", "promise to pay"),
    "payment": ("还款", "payment"),
    "settlement": ("和解", "settlement"),
    "dispute": ("债务人提出异议", "dispute raised"),
    "complaint": ("投诉", "complaint"),
    "legal_referral": ("转交法律程序", "referred to legal proceedings"),
    "case_closed": ("结案", "case closed"),
}
CHANNELS = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "text message"),
    "letter": ("信函", "letter"),
    "email": ("电子邮件", "e-mail"),
    "in_person": ("当面", "in person"),
    "app": ("应用程序", "app"),
    "other": ("其他", "other"),
}
AUCTION_EVENTS = {
    "listed": ("挂拍", "listed"),
    "bid_placed": ("出价", "bid placed"),
    "closed": ("竞价结束", "bidding closed"),
    "sold": ("成交", "sold"),
    "unsold": ("流拍", "unsold"),
    "payment_received": ("收到价款", "payment received"),
    "transfer_completed": ("完成交付过户", "transfer completed"),
    "objection_filed": ("提出异议", "objection filed"),
}
ITEM_CATEGORIES = {
    "vehicle": ("机动车", "vehicle"),
    "equipment": ("机器设备", "equipment"),
    "real_estate": ("不动产", "real estate"),
    "equity": ("股权", "equity"),
    "other": ("其他", "other"),
}

_LABELS: dict[str, tuple[str, str]] = {
    "kind": ("记录类型", "Record type"),
    "case_id": ("催收案件编号", "Collection case"),
    "agency": ("催收机构统一社会信用代码", "Agency's credit code"),
    "debtor_ref": ("债务人代号（化名）", "Debtor (pseudonym)"),
    "lot_id": ("拍品编号", "Lot"),
    "court_case_number": ("法院执行案号", "Court enforcement case"),
    "auction_house": ("拍卖机构统一社会信用代码", "Auction house's credit code"),
    "event": ("事件", "Event"),
    "occurred_at": ("发生时间（记录所载）", "When it happened (as recorded)"),
    "debtor_time_zone": ("债务人所在时区（记录所载）", "Debtor's time zone (as recorded)"),
    "channel": ("方式", "Channel"),
    "contact_target": ("联系对象", "Who was contacted"),
    "operator_id": ("经办人员编号", "Staff member"),
    "amount": ("金额", "Amount"),
    "reserve_price": ("保留价", "Reserve price"),
    "bid_amount": ("出价金额", "Bid"),
    "hammer_price": ("成交价", "Hammer price"),
    "bidder_ref": ("竞买人代号（化名）", "Bidder (pseudonym)"),
    "item": ("拍品", "Item"),
    "data_categories": ("涉及的债务人个人信息类别", "Debtor's personal data used"),
    "findings": ("质检或投诉所指的问题", "Findings (quality review or complaint)"),
    "attachments": ("附件（以摘要登记，文件本身不在记录中）", "Attachments (by digest)"),
    "notes": ("备注", "Notes"),
}
_ORDER = tuple(_LABELS)


def _coded(table: Mapping[str, tuple[str, str]]) -> Callable[[Any, Lang], str]:
    def render(value: Any, lang: Lang) -> str:
        zh, en = table[value]
        english = en if en == value.replace("_", " ") else f"{en} ({value})"
        return pick(lang, f"{zh}（{value}）", english)

    return render


def _amount(value: Any, lang: Lang) -> str:
    return money(value["minor_units"], value["currency"], lang)


def _item(value: Any, lang: Lang) -> str:
    category = _coded(ITEM_CATEGORIES)(value["category"], lang)
    return pick(lang, f"{category}：", f"{category}: ") + str(value["description"])


def _attachments(value: Any, lang: Lang) -> str:
    if not value:
        return pick(lang, "无", "none")
    lines = [
        f"{n}. {a['media_type']}, {byte_size(a['size'], lang)}, SHA-256 {a['sha256']}"
        for n, a in enumerate(value, start=1)
    ]
    return "\n".join(lines)


def _coded_list(table: Mapping[str, tuple[str, str]]) -> Callable[[Any, Lang], str]:
    one = _coded(table)

    def render(value: Any, lang: Lang) -> str:
        if not value:
            return pick(lang, "无", "none")
        return pick(lang, "、", ", ").join(one(item, lang) for item in value)

    return render


def _as_written(value: Any, lang: Lang) -> str:
    return str(value)


def _json_text(value: Any, lang: Lang) -> str:
    """A member no label is known for: a string as written, anything else as its JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_RENDER: dict[str, Callable[[Any, Lang], str]] = {
    "kind": lambda value, lang: pick(lang, *KINDS[value]),
    "occurred_at": dual_timestamp_text,
    "channel": _coded(CHANNELS),
    "contact_target": _coded(CONTACT_TARGETS),
    "data_categories": _coded_list(DATA_CATEGORIES),
    "findings": _coded_list(FINDINGS),
    "amount": _amount,
    "reserve_price": _amount,
    "bid_amount": _amount,
    "hammer_price": _amount,
    "item": _item,
    "attachments": _attachments,
}


def record_rows(record: dict[str, Any], lang: Lang) -> list[FieldRow]:
    """Every field of `record` in a fixed reading order, labelled and rendered in `lang`;
    members without a label follow, in the record's order, under their own names."""
    events = COLLECTION_EVENTS if record["kind"] == "collection_checkpoint" else AUCTION_EVENTS
    render = {**_RENDER, "event": _coded(events)}
    rows = []
    for name in _ORDER:
        if name in record:
            value = render.get(name, _as_written)(record[name], lang)
            rows.append(FieldRow(name, pick(lang, *_LABELS[name]), value))
    rows += [FieldRow(name, name, _json_text(value, lang)) for name, value in record.items()
             if name not in _LABELS]  # fmt: skip
    return rows


def record_title(record: dict[str, Any], lang: Lang) -> str:
    """One line naming the record: "司法拍卖记录：成交（sold）"."""
    kind = pick(lang, *KINDS[record["kind"]])
    events = COLLECTION_EVENTS if record["kind"] == "collection_checkpoint" else AUCTION_EVENTS
    return pick(lang, f"{kind}：", f"{kind}: ") + _coded(events)(record["event"], lang)
