"""That the record is unaltered (its digests), whether the case's history is complete, and the
checks the verification made.

Completeness is said exactly as far as the bundle proves it: a proof bundle shows one record
and the link its leaf carries; a case bundle (version 2) shows its records linked from the
case's first, and, through the checkpoint's case index, that the last one shown is the
case's last in that checkpoint, so none is missing at all up to it.
"""

from __future__ import annotations

from evanchor.anchor.report.language import Lang, pick
from evanchor.anchor.report.statements import Basis, Context, Section, Statement

STEP_NAMES = {
    "format": ("格式", "Format"),
    "record": ("记录内容", "Record"),
    "commitment": ("承诺值", "Commitment"),
    "leaf": ("日志叶", "Leaf"),
    "inclusion": ("包含证明", "Inclusion"),
    "seal": ("检查点封存叶", "Seal leaf"),
    "case index": ("案件索引", "Case index"),
    "case chain": ("案件链接", "Case chain"),
    "completeness": ("完整性", "Completeness"),
    "anchor": ("区块链锚定", "Anchor"),
    "signature": ("提交方签名", "Signature"),
    "checkpoint note": ("检查点签名与见证", "Checkpoint signature and witnesses"),
}
STEP_CHECKS = {
    "format": ("证据包的格式与版本可识别，各项齐全", "the bundle's format and version are known"),
    "record": (
        "记录符合其数据格式（字段、类型、统一社会信用代码校验位）",
        "the record is valid under its schema (fields, types, the credit code's check character)",
    ),
    "commitment": (
        "由记录原文与随机盐重新计算承诺值，与证据包所载一致",
        "the commitment, recomputed from the record and its salt, is the bundle's",
    ),
    "leaf": (
        "日志叶（承诺值、记录类型、机构、案件、节点接收时间、前一条记录）的哈希与证据包一致",
        "the log leaf (commitment, kind, agency, case, acceptance time, previous record) hashes"
        " to the bundle's leaf hash",
    ),
    "inclusion": (
        "由包含证明从叶哈希算出检查点的根（RFC 9162 默克尔树）",
        "the inclusion proof leads from the leaf hash to the checkpoint's root (RFC 9162)",
    ),
    "seal": (
        "检查点的最后一个叶是其封存叶，所载序号、大小与封存时间与检查点一致",
        "the checkpoint's last leaf is its seal leaf, with the checkpoint's number, size and"
        " sealing time",
    ),
    "case index": (
        "案件在检查点案件索引中的条目（记录数与最后一条）包含在封存叶所载的根中",
        "the case's entry in the checkpoint's case index (record count, last record) is under"
        " the root the seal leaf holds",
    ),
    "case chain": (
        "各条记录依次相连，第一条之前没有记录",
        "the records link one to the next, the first to none",
    ),
    "completeness": (
        "所示记录数与最后一条与案件索引一致",
        "the records shown are as many as the case index says, ending at its last",
    ),
    "anchor": (
        "检查点（树大小与根）存于锚定合约在该区块的状态中（区块头、账户证明、存储证明）",
        "the checkpoint (size and root) is in the anchor contract's state at the block (header,"
        " account and storage proofs)",
    ),
    "signature": (
        "提交方对承诺值的签名可恢复出签名密钥地址",
        "the submitter's signature over the commitment recovers to the signing key's address",
    ),
}
SKIPPED = {
    "anchor": ("证据包中没有区块链锚定证据", "the bundle has no chain evidence"),
    "signature": ("证据包中没有提交方签名", "the bundle has no submitter's signature"),
    "checkpoint note": (
        "证据包未附带检查点的签名说明（signed note）：检查点的见证情况未核验",
        "the bundle carries no signed checkpoint note: the checkpoint's witnessing was not checked",
    ),
}


def step_name(name: str, lang: Lang) -> str:
    """A verifier step's name in words; a case bundle's "record 0" is "第 1 条记录"."""
    if name.startswith("record ") and name[7:].isdigit():
        number = int(name[7:]) + 1
        return pick(lang, f"第 {number} 条记录", f"Record {number}")
    return pick(lang, *STEP_NAMES[name]) if name in STEP_NAMES else name


# -- unaltered -----------------------------------------------------------------------------


def integrity_section(ctx: Context) -> Section:
    t = ctx.t
    statements = [
        Statement(
            t("证据包文件 SHA-256", "Bundle file SHA-256"), ctx.bundle_sha256, Basis.VERIFIED, True
        )
    ]
    for position, item in enumerate(ctx.proven):
        leaf = t(f"叶哈希（日志第 {item.leaf_index} 条）", f"Leaf hash (leaf {item.leaf_index})")
        rows = (
            (t("记录标识", "Record id"), item.record_id),
            (t("承诺值", "Commitment"), item.commitment),
            (leaf, item.leaf_hash),
        )
        statements += [
            Statement(ctx.who([position], label), value.hex(), Basis.VERIFIED, True)
            for label, value in rows
        ]
    for positions, (size, root) in ctx.groups(lambda p: (p.checkpoint_size, p.checkpoint_root)):
        label = t(f"检查点的根（树大小 {size}）", f"Checkpoint root (size {size})")
        statements.append(Statement(ctx.who(positions, label), root.hex(), Basis.VERIFIED, True))
    anchored = all(p.anchor is not None for p in ctx.proven)
    note = t(
        "记录原文经规范化后与随机盐一起计算出承诺值；承诺值进入日志叶，叶经包含证明得出检查点的根"
        + ("，该根已写入区块链" if anchored else "")
        + "。对记录的任何改动，哪怕一个字符，都会使这些数值不符而核验失败。",
        "The record's canonical bytes and a random salt give the commitment; the commitment is"
        " in the log leaf, and the leaf's inclusion proof gives the checkpoint's root"
        + (", which is written on the chain" if anchored else "")
        + ". Any change to the record, even of one character, breaks these values and the"
        " verification fails.",
    )
    return Section("integrity", t("五、内容未被篡改", "5. Unaltered"), tuple(statements), note)


# -- completeness --------------------------------------------------------------------------


def completeness_section(ctx: Context) -> Section:
    t = ctx.t
    case = ctx.report.case
    if case is None:
        statements = _one_record(ctx)
    else:
        count = len(ctx.proven)
        statements = [
            Statement(
                t("已证明", "Proven"),
                t(
                    f"本证据包含案件 {case.case} 的 {count} 条记录，按各条日志叶所载的链接，"
                    "自本案第一条记录起逐条相连，中间没有缺失，也没有重排。",
                    f"The bundle holds {count} record(s) of case {case.case}; by the links their"
                    " leaves carry, they follow one another from the case's first record with"
                    " none missing in between and none reordered.",
                ),
                Basis.VERIFIED,
            ),
            _tail(ctx, case.case, case.checkpoint_size, case.head_proven),
        ]
    title = t("六、案件记录是否完整", "6. Is the case's history complete")
    return Section("completeness", title, tuple(statements))


def _one_record(ctx: Context) -> list[Statement]:
    t = ctx.t
    first = ctx.proven[0]
    if first.prev is None:
        link = t("该记录是本案的第一条记录。", "It is the case's first record.")
    else:
        link = t(
            f"该记录的日志叶载明本案前一条记录为日志第 {first.prev} 条。",
            f"Its leaf names leaf {first.prev} as the case's previous record.",
        )
    return [
        Statement(
            t("案件链接", "Case link"),
            t(
                f"本证据包只涉及案件 {first.case} 中的一条记录。{link}该链接包含在检查点中。",
                f"This bundle is about one record of case {first.case}. {link} The link is"
                " covered by the checkpoint.",
            ),
            Basis.VERIFIED,
        ),
        Statement(
            t("本案其他记录", "The case's other records"),
            t(
                "是否齐全：本证据包不能证明。如需证明，请取得案件证据包（evanchor case prove）"
                "并核验。",
                "Whether they are all there is not shown by this bundle. A case bundle (evanchor"
                " case prove) shows the case's records.",
            ),
            Basis.NOT_PROVEN,
        ),
    ]


def _tail(ctx: Context, case: str, size: int, head_proven: bool) -> Statement:
    t = ctx.t
    if head_proven:
        return Statement(
            t("直至检查点", "Up to the checkpoint"),
            t(
                f"直至检查点（树大小 {size}）为止，案件 {case} 的全部记录都在其中。",
                f"Every record of case {case} up to the checkpoint (size {size}) is here.",
            ),
            Basis.VERIFIED,
        )
    return Statement(
        t("未证明", "Not proven"),
        t(
            f"最后一条之后、检查点（树大小 {size}）之前，本案是否还有其他记录：本证据包的格式"
            "不包含案件在检查点时的最新记录，不能证明。",
            f"Whether the case has further records after the last one shown, up to the"
            f" checkpoint (size {size}): this bundle format does not commit to the case's latest"
            " record at the checkpoint, so it cannot show it.",
        ),
        Basis.NOT_PROVEN,
    )


# -- the checks made -----------------------------------------------------------------------


def _note_check(ctx: Context) -> str:
    """What the checkpoint note step checked: never worded as witnessed unless it was."""
    t = ctx.t
    witnessing = ctx.report.witnessing
    bound = t(
        "检查点签名说明所载的日志来源、树大小与根与证据包的检查点一致",
        "the signed checkpoint note names this log, and the checkpoint's size and root",
    )
    if witnessing.log_key is None:
        return bound + t(
            "；未提供日志公钥与见证人公钥，签名与见证情况未核验",
            "; no log key or witness keys were given: its signatures and witnessing were not"
            " checked",
        )
    signed = bound + t(
        f"；日志签名已用日志公钥 {witnessing.log_key} 核验",
        f"; the log's signature verified with key {witnessing.log_key}",
    )
    if not witnessing.checked:
        return signed + t(
            "；未提供见证人公钥，见证情况未核验",
            "; no witness keys were given: its witnessing was not checked",
        )
    k, n = witnessing.policy, len(witnessing.trusted)
    return signed + t(
        f"；{len(witnessing.cosignatures)} 个受信任见证人的联署已用其公钥核验，"
        f"满足 {k}/{n} 见证策略",
        f"; {len(witnessing.cosignatures)} trusted witnesses' cosignatures verified with their"
        f" keys, meeting the policy of {k} of {n}",
    )


def checks_section(ctx: Context) -> Section:
    t = ctx.t
    statements = []
    for step in ctx.report.steps:
        name = step.name
        if step.status == "skipped":
            what = pick(ctx.lang, *SKIPPED.get(name, ("不适用", "not applicable")))
        elif name.startswith("record ") and name[7:].isdigit():
            what = t("逐项核验（上列各步骤）", "verified step by step")
        elif name == "checkpoint note":
            what = _note_check(ctx)
        else:
            what = pick(ctx.lang, *STEP_CHECKS.get(name, (step.detail, step.detail)))
        status = {
            "ok": t("通过", "passed"),
            "skipped": t("未做", "not done"),
            "failed": t("失败", "failed"),
            "cannot verify": t("无法核验", "could not be made"),
        }[step.status]
        basis = Basis.VERIFIED if step.status == "ok" else Basis.NOT_PROVEN
        text = t(f"{status}：{what}", f"{status}: {what}")
        statements.append(Statement(step_name(name, ctx.lang), text, basis))
    return Section("checks", t("八、核验所做的检查", "8. The checks made"), tuple(statements))
