"""Person-facing text of compliance reports, in Chinese (the default) and English.

Only values are translated: JSON keys, rule ids, record ids and enum values stay as they are
in the records, so that a reader can match every phrase to the record it speaks of.
"""

from __future__ import annotations

from collections.abc import Mapping

from evanchor.anchor.compliance.engine import FactValue, Flag
from evanchor.anchor.compliance.rules import Lang
from evanchor.anchor.protocol.value_words import CONTACT_TARGETS, DATA_CATEGORIES, FINDINGS

_VALUE_LABELS: dict[str, tuple[str, str]] = {
    # collection events
    "case_opened": ("立案", "case opened"),
    "call": ("电话", "call"),
    "sms": ("短信", "message"),
    "letter": ("信函", "letter"),
    "visit": ("上门", "visit"),
    "negotiation": ("协商", "negotiation"),
    "promise_to_pay": ("还款承诺", "promise to pay"),
    "payment": ("还款", "payment"),
    "settlement": ("和解", "settlement"),
    "dispute": ("异议", "dispute"),
    "complaint": ("投诉", "complaint"),
    "legal_referral": ("转诉讼", "legal referral"),
    "case_closed": ("结案", "case closed"),
    # auction events
    "listed": ("挂拍", "listed"),
    "bid_placed": ("出价", "bid"),
    "closed": ("拍卖结束", "closed"),
    "sold": ("成交", "sold"),
    "unsold": ("流拍", "unsold"),
    "payment_received": ("收款", "payment received"),
    "transfer_completed": ("过户完成", "transfer completed"),
    "objection_filed": ("异议", "objection filed"),
    # contact targets, data categories, findings: worded as the record view words them
    **CONTACT_TARGETS,
    **DATA_CATEGORIES,
    **FINDINGS,
}

_ZONE_SOURCE = {
    "debtor_time_zone": ("记录声明的债务人时区", "the record's debtor_time_zone"),
    "rule_set": ("规则集指定的时区", "the rule set's time zone"),
    "occurred_at_offset": ("occurred_at 所写时差", "the occurred_at offset"),
}

LABELS: dict[str, tuple[str, str]] = {
    "title": ("催收合规报告", "Collection compliance report"),
    "rule_set": ("规则集", "Rule set"),
    "digest": ("摘要 (SHA-256)", "digest (SHA-256)"),
    "period": ("期间", "Period"),
    "all_time": ("全部记录", "all records"),
    "source": ("数据来源", "Source"),
    "source_log": (
        "节点日志（运营方保存的副本；日志与链上锚定是否一致由 evanchor audit 核查）",
        "the node's log (the operator's copy; evanchor audit checks it against the chain)",
    ),
    "source_bundles": (
        "证据包，每个均已离线验证，仅计入验证通过的记录",
        "proof bundles, each verified offline; only verified records are counted",
    ),
    "tz_database": ("时区数据库", "time zone database"),
    "generated_at": ("生成时间（本机时钟）", "generated at (this machine's clock)"),
    "agency": ("机构", "Agency"),
    "rating": ("评级", "Rating"),
    "points": ("分值", "Points"),
    "records": ("记录数", "Records"),
    "flags": ("标记数", "Flags"),
    "rule": ("规则", "Rule"),
    "rule_title": ("规则内容", "What it forbids"),
    "count": ("次数", "Count"),
    "record": ("记录", "Record"),
    "leaf_index": ("叶序号", "leaf index"),
    "occurred_at": ("发生时间（机构所述）", "occurred at (as the agency states)"),
    "accepted_at": ("节点接收时间（节点所述）", "accepted at (as the node states)"),
    "anchored": ("锚定", "Anchored"),
    "reason": ("原因", "Why"),
    "bundle": ("证据包", "Bundle"),
    "no_bundle": ("尚无证据包（未锚定）", "no bundle yet (not anchored)"),
    "related": ("相关记录", "related records"),
    "not_anchored": (
        "未锚定：时间与存在仅为节点所述",
        "not anchored: existence and time are the node's claim",
    ),
    "not_sealed": ("尚未封存入检查点", "not yet in a checkpoint"),
    "sealed_only": ("已封存于检查点 {seq}，尚未锚定", "in checkpoint {seq}, not anchored yet"),
    "anchored_at": (
        "检查点 {seq} 锚定于区块 {block}（{time}）",
        "checkpoint {seq} anchored in block {block} ({time})",
    ),
    "anchored_log": ("据节点锚定记录", "per the node's anchoring state"),
    "anchored_bundle": (
        "已按证据包自身区块头验证",
        "verified against the bundle's own block header",
    ),
    "anchored_rpc": ("已对照链验证", "verified against the chain"),
    "not_counted": ("未计入", "Not counted"),
    "undecided": ("无法判定（案件记录不完整）", "Undecided (the case's records are incomplete)"),
    "missing_leaf": ("缺少叶 {leaf}", "leaf {leaf} is missing"),
    "thresholds": (
        "评级阈值：{yellow} 分起为黄，{red} 分起为红",
        "thresholds: yellow from {yellow} points, red from {red}",
    ),
    "green": ("绿", "green"),
    "yellow": ("黄", "yellow"),
    "red": ("红", "red"),
    "chart_weeks": ("每周标记数（按机构）", "Flags per week, by agency"),
    "chart_heat": (
        "联系时间热力图：纵轴为星期（1=周一…7=周日），横轴为当地小时；框内为禁止时段",
        "Contacts by weekday (1 = Monday … 7 = Sunday) and local hour;"
        " the box marks the quiet hours",
    ),
    "no_flags": ("无标记", "no flags"),
    "claims": (
        "说明：每条标记均由所列记录按规则集推导，任何人可用相同记录与规则集（按摘要）重新计算。"
        "记录内容为机构签名提交之所述；“锚定”一栏说明记录的存在与时间由何证明。",
        "Every flag is derived from the records listed by the rule set named; anyone can"
        " recompute it from the same records and the rule set with this digest. What a record"
        " says is what the agency submitted and signed; the Anchored column says what proves"
        " the record's existence and time.",
    ),
}


def label(name: str, lang: Lang, **values: object) -> str:
    zh, en = LABELS[name]
    text = zh if lang == "zh-CN" else en
    return text.format(**values) if values else text


def value_label(value: str, lang: Lang) -> str:
    """`value (label)` for an enum value of a record, e.g. `threat（威胁）`."""
    pair = _VALUE_LABELS.get(value)
    if pair is None:
        return value
    if lang == "zh-CN":
        return f"{value}（{pair[0]}）"
    return f"{value} ({pair[1]})"


def _values(values: FactValue, lang: Lang) -> str:
    items = values if isinstance(values, tuple) else (str(values),)
    joiner = "、" if lang == "zh-CN" else ", "
    return joiner.join(value_label(item, lang) for item in items)


def _plain(values: FactValue, lang: Lang) -> str:
    """The labels alone (`call`, `电话`), for a phrase that names the kind of contact."""
    items = values if isinstance(values, tuple) else (str(values),)
    position = 0 if lang == "zh-CN" else 1
    labels = [_VALUE_LABELS[item][position] if item in _VALUE_LABELS else item for item in items]
    return ("、" if lang == "zh-CN" else " or ").join(labels)


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _number(value: FactValue) -> int:
    assert isinstance(value, int)
    return value


def flag_reason(flag: Flag, lang: Lang) -> str:
    """Why `flag` was raised, in one sentence built from its facts."""
    f: Mapping[str, FactValue] = flag.facts
    zh = lang == "zh-CN"
    if flag.kind == "quiet_hours":
        source = _ZONE_SOURCE[str(f["time_zone_source"])][0 if zh else 1]
        where = (
            f"{f['utc_offset']}，{f['time_zone']}，依{source}"
            if zh
            else (f"{f['utc_offset']}, {f['time_zone']}, from {source}")
        )
        if zh:
            return (
                f"当地时间 {f['local_date']} {f['local_time']}（{where}）发生"
                f"{_values(f['event'], lang)}，处于禁止时段 {f['quiet_hours']}"
            )
        return (
            f"{_values(f['event'], lang)} at {f['local_time']} local time on {f['local_date']}"
            f" ({where}), within the quiet hours {f['quiet_hours']}"
        )
    if flag.kind == "contact_frequency":
        period = f["period"]
        counted = _plain(f["counted_events"], lang)
        if zh:
            unit = "当日" if f["window"] == "day" else "当周"
            return (
                f"{period} {unit}对债务人 {f['debtor_ref']} 的第 {f['contact_number']} 次"
                f"{counted}，上限为 {f['max_contacts']} 次"
            )
        unit = "local day" if f["window"] == "day" else "ISO week"
        return (
            f"{_ordinal(_number(f['contact_number']))} {counted} to debtor {f['debtor_ref']} in"
            f" {unit} {period}; at most {f['max_contacts']} allowed"
        )
    if flag.kind == "forbidden_value":
        if zh:
            return f"记录的 {f['field']} 为 {_values(f['found'], lang)}，属禁止情形"
        return f"the record's {f['field']} holds {_values(f['found'], lang)}, which is forbidden"
    required = _values(f["required_before"], "en" if not zh else "zh-CN")
    if zh:
        return (
            f"记录了{_values(f['event'], lang)}，但本案此前的 {f['earlier_records_of_case']} 条"
            f"记录中没有{required}"
        )
    return (
        f"{_values(f['event'], lang)} with no {required} among the case's"
        f" {f['earlier_records_of_case']} earlier record(s)"
    )
