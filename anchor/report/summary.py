"""What a verification proved, in plain words: the summary `evanchor verify` prints and the
certificate lays out.

It answers the questions a court asks of blockchain evidence (2018 SPC Internet-court
provisions Art. 11; 2021 Online Litigation Rules Art. 16-19), one numbered part each: 1 the
outcome and what it was checked against; 2 what the record says; 3 who submitted it; 4 when,
at the latest, it existed and who vouches for that time; 5 that it is unaltered (the
digests); 6 whether the case's history is complete; 7 on which chain and contract; 8 the
checks made; 9 how anyone can check it. Every statement carries its `Basis`.

Built from a verifier's `Report` and the SHA-256 of the bundle file as read, which
identifies the bundle and numbers the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evanchor.anchor.report.integrity import (
    checks_section,
    completeness_section,
    integrity_section,
    step_name,
)
from evanchor.anchor.report.language import Lang, pick
from evanchor.anchor.report.provenance import (
    chain_section,
    checked_against,
    submitter_section,
    time_section,
)
from evanchor.anchor.report.record_view import record_rows, record_title
from evanchor.anchor.report.statements import (
    BASIS_TAGS,
    Basis,
    ChainSource,
    Context,
    Section,
    Statement,
)
from evanchor.anchor.verify.bundle import Report, Step
from evanchor.anchor.verify.report import Outcome, StepStatus


@dataclass(frozen=True)
class Summary:
    lang: Lang
    verified: bool
    certificate_number: str
    bundle_name: str
    bundle_sha256: str
    headline: str
    sections: tuple[Section, ...]
    failed_step: str | None = None
    """For a bundle that did not verify: the step that failed, and why."""
    failure: str | None = None

    def section(self, key: str) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.key == key)

    def as_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang.value,
            "verified": self.verified,
            "certificate_number": self.certificate_number,
            "bundle_sha256": self.bundle_sha256,
            "headline": self.headline,
            "sections": [s.as_json() for s in self.sections],
        }

    def as_text(self) -> str:
        """The summary as terminal lines: sections, each statement with its tag."""
        colon = pick(self.lang, "：", ": ")
        lines = [self.headline]
        for section in self.sections:
            lines += ["", section.title]
            if section.note:
                lines.append(f"  {section.note}")
            for statement in section.statements:
                tag = BASIS_TAGS.get(statement.basis)
                suffix = "" if tag is None else f" [{pick(self.lang, *tag)}]"
                text = statement.text.replace("\n", "\n      ")
                joint = " " if statement.basis is Basis.GUIDE else colon
                lines.append(f"  {statement.label}{joint}{text}{suffix}")
        return "\n".join(lines)


def certificate_number(bundle_sha256: bytes) -> str:
    """ "EA-" and the first 20 hex digits of the bundle file's SHA-256, in groups of four: the
    same file always gets the same number, and anyone can see which file a number names."""
    digits = bundle_sha256.hex()[:20]
    return "EA-" + "-".join(digits[i : i + 4] for i in range(0, 20, 4))


def summarize(
    report: Report,
    *,
    lang: Lang,
    bundle_name: str,
    bundle_sha256: bytes,
    chain_source: ChainSource | None = None,
) -> Summary:
    """The plain-language summary of `report` (of `verify_bundle` or `verify_case_bundle`).

    `bundle_sha256` is the SHA-256 of the bundle file exactly as read; `chain_source` is what
    the anchor was checked against, if anything. A report that did not verify gets only its
    outcome: nothing of such a bundle is presented as if it were evidence.
    """
    number = certificate_number(bundle_sha256)
    if not report.ok or not report.proven:
        return _not_verified(report, lang, number, bundle_name, bundle_sha256.hex())
    ctx = Context(report, lang, bundle_name, bundle_sha256.hex(), chain_source)
    sections = (
        _outcome(ctx),
        *(_record(ctx, position) for position in range(len(report.proven))),
        submitter_section(ctx),
        time_section(ctx),
        integrity_section(ctx),
        completeness_section(ctx),
        chain_section(ctx),
        checks_section(ctx),
        _how_to_check(ctx),
    )
    return Summary(
        lang=lang,
        verified=True,
        certificate_number=number,
        bundle_name=bundle_name,
        bundle_sha256=bundle_sha256.hex(),
        headline=pick(lang, "核验结论：已验证（VERIFIED）", "Outcome: VERIFIED"),
        sections=sections,
    )


def _not_verified(report: Report, lang: Lang, number: str, name: str, digest: str) -> Summary:
    if report.outcome is Outcome.CANNOT_VERIFY:
        return _cannot_verify(report, lang, number, name, digest)
    failed = report.failed_step or Step("format", StepStatus.FAILED, "no record was verified")
    step = step_name(failed.name, lang)
    statements = (
        Statement(
            pick(lang, "结论", "Outcome"),
            pick(
                lang,
                f"未通过核验（NOT VERIFIED）：“{step}”步骤失败。证据包中的任何内容都不能据此视为"
                "已证明。",
                f"NOT VERIFIED: the {step.lower()} step failed. Nothing in this bundle can be"
                " taken as proven.",
            ),
            Basis.VERIFIED,
        ),
        Statement(
            pick(lang, "失败原因（技术细节）", "Reason (technical)"), failed.detail, Basis.VERIFIED
        ),
    )
    return Summary(
        lang=lang,
        verified=False,
        certificate_number=number,
        bundle_name=name,
        bundle_sha256=digest,
        headline=pick(lang, "核验结论：未通过核验（NOT VERIFIED）", "Outcome: NOT VERIFIED"),
        sections=(Section("outcome", pick(lang, "一、核验结论", "1. Outcome"), statements),),
        failed_step=failed.name,
        failure=failed.detail,
    )


def _cannot_verify(report: Report, lang: Lang, number: str, name: str, digest: str) -> Summary:
    """A report the chain could not settle: said so, and nothing presented as evidence."""
    step = next(s for s in report.steps if s.status is StepStatus.CANNOT_VERIFY)
    words = step_name(step.name, lang)
    statements = (
        Statement(
            pick(lang, "结论", "Outcome"),
            pick(
                lang,
                f"无法核验（CANNOT VERIFY）：“{words}”步骤需要区块链作答，"
                "而区块链无法访问、是另一条链或未能作答。"
                "这不是对证据的否定，也不能视为已证明；请换一个可信的节点重新核验。",
                f"CANNOT VERIFY: the {words.lower()} step needs the chain, and the chain could not"
                " be reached, is another chain, or could not answer. This is no verdict on the"
                " evidence, and nothing in it can be taken as proven; verify again against a"
                " node you trust.",
            ),
            Basis.VERIFIED,
        ),
        Statement(
            pick(lang, "原因（技术细节）", "Reason (technical)"), step.detail, Basis.VERIFIED
        ),
    )
    return Summary(
        lang=lang,
        verified=False,
        certificate_number=number,
        bundle_name=name,
        bundle_sha256=digest,
        headline=pick(lang, "核验结论：无法核验（CANNOT VERIFY）", "Outcome: CANNOT VERIFY"),
        sections=(Section("outcome", pick(lang, "一、核验结论", "1. Outcome"), statements),),
        failed_step=step.name,
        failure=step.detail,
    )


_LEVELS = {
    "log-only": (
        "仅日志（log-only）：检查点未与任何区块链核对，只说明证据包自身一致",
        "log-only: the checkpoint was checked against no chain; the bundle is only shown"
        " consistent in itself",
    ),
    "anchored": (
        "已锚定（anchored）：检查点已与区块链核对",
        "anchored: the checkpoint was checked against the chain",
    ),
    "anchored+signed": (
        "已锚定并签名（anchored+signed）：另有提交方签名；签名密钥是否为登记机构未核对",
        "anchored+signed: and signed by the submitter's key; whether that key was the"
        " registered agency's was not checked",
    ),
    "anchored+signed+registered": (
        "已锚定、签名并登记（anchored+signed+registered）：签名密钥在锚定区块时为该机构登记的密钥",
        "anchored+signed+registered: the signing key was the agency's registered key at the"
        " anchoring block",
    ),
}


def _outcome(ctx: Context) -> Section:
    t = ctx.t
    count = len(ctx.proven)
    records = "1 record" if count == 1 else f"{count} records"
    level = ctx.report.assurance.value
    statements = [
        Statement(
            t("保证级别", "Assurance level"),
            pick(ctx.lang, *_LEVELS.get(level, (level, level))),
            Basis.VERIFIED,
        ),
        Statement(
            t("结论", "Outcome"),
            t(
                f"已验证（VERIFIED）：证据包中 {count} 条记录的每一项哈希均已重新计算，与所载数值"
                "一致，全部核验步骤通过。",
                f"VERIFIED: every hash of the bundle's {records} was recomputed and matches;"
                " every verification step passed.",
            ),
            Basis.VERIFIED,
        ),
        *(
            checked_against(ctx, positions, anchor)
            for positions, anchor in ctx.groups(lambda p: p.anchor)
        ),
        Statement(
            t("证明范围", "What this proves"),
            t(
                "记录内容自不晚于第四部分所述时间起即已存在、此后未被改动；不证明记录所述事实本身"
                "属实。",
                "That the record existed no later than the time in part 4 and has not been"
                " altered since; not that the facts it states are true.",
            ),
            Basis.NOT_PROVEN,
        ),
    ]
    return Section("outcome", t("一、核验结论", "1. Outcome"), tuple(statements))


def _record(ctx: Context, position: int) -> Section:
    t = ctx.t
    item = ctx.proven[position]
    rows = tuple(
        Statement(row.label, row.value, Basis.RECORD, digest=row.name == "attachments")
        for row in record_rows(item.record, ctx.lang)
    )
    title = record_title(item.record, ctx.lang)
    count = len(ctx.proven)
    if count > 1:
        heading = t(
            f"二、存证内容（第 {position + 1} 条，共 {count} 条）：{title}",
            f"2. What the record says (record {position + 1} of {count}): {title}",
        )
    else:
        heading = t(f"二、存证内容：{title}", f"2. What the record says: {title}")
    note = t(
        "以下为记录原文所载内容，由提交方陈述。本核验证明这些内容未被改动，不证明其属实。",
        "As the record states it, in the submitter's words. The verification shows the content"
        " is unaltered, not that it is true.",
    )
    return Section("record", heading, rows, note)


def _how_to_check(ctx: Context) -> Section:
    t = ctx.t
    first = ctx.proven[0]
    block = None if first.anchor is None else first.anchor.block_number
    name, digest = ctx.bundle_name, ctx.bundle_sha256
    or_block_zh = "" if block is None else f"，或第 {block} 号区块的哈希"
    or_block_en = "" if block is None else f", or the hash of block {block}"
    steps = (
        t(
            f"取得证据包文件（{name}），计算其 SHA-256（Linux：sha256sum {name}；Windows："
            f"certutil -hashfile {name} SHA256），应为 {digest}。证书编号即其前 20 位，"
            "二维码中也载有该值。",
            f"Get the bundle file ({name}) and compute its SHA-256 (Linux: sha256sum {name};"
            f" Windows: certutil -hashfile {name} SHA256): it must be {digest}. The"
            " certificate number is its first 20 digits; the QR code holds it too.",
        ),
        t(
            f"从您信任的来源取得该链一个节点的地址（RPC URL）{or_block_zh}。不要只依赖出具该证据"
            "的节点。",
            f"From a source you trust, get the address (RPC URL) of a node of the chain"
            f"{or_block_en}. Do not rely on the node that issued the evidence alone.",
        ),
        t(
            f"运行 evanchor verify {name} --rpc 节点地址（或 --block-hash 区块哈希）。也可按公开的"
            " docs/PROTOCOL.md 用其他程序自行计算。",
            f"Run evanchor verify {name} --rpc NODE_URL (or --block-hash BLOCK_HASH), or"
            " recompute it with any other program from the published docs/PROTOCOL.md.",
        ),
        t(
            "结论应为“已验证（VERIFIED）”，记录标识、承诺值、叶哈希和检查点的根应与第五部分一致。",
            "The outcome must be VERIFIED, and the record id, commitment, leaf hash and checkpoint"
            " root must be those of part 5.",
        ),
        t(
            "凭统一社会信用代码在国家企业信用信息公示系统核对提交机构。",
            "Look the agency's credit code up in the National Enterprise Credit Information"
            " Publicity System.",
        ),
    )
    return Section(
        "how_to_check",
        t("九、如何独立核验", "9. How anyone can check it"),
        tuple(Statement(f"{n}.", text, Basis.GUIDE) for n, text in enumerate(steps, start=1)),
    )


def qr_payload(summary: Summary, verify_url: str | None = None) -> str:
    """What the certificate's QR code holds: ASCII only (every scanner reads it alike), the
    bundle's SHA-256 and how to check it."""
    name = summary.bundle_name if summary.bundle_name.isascii() else "BUNDLE.json"
    lines = [
        "evanchor evidence certificate " + summary.certificate_number,
        "bundle sha256:" + summary.bundle_sha256,
        f"verify: evanchor verify {name} --rpc <chain node you trust>",
    ]
    if verify_url:
        lines.append("page: " + verify_url)
    return "\n".join(lines)
