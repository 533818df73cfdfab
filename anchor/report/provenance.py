"""Who submitted the record, when at the latest it existed, on which chain: and, for each,
who vouches for it.

The honest answers are uneven and are said so. The signature proves which key signed; that
the key is the agency's is the operator's registration. The node's clock (acceptance, seal)
is the operator's claim. A block's time is its sealer's: on the embedded chain, whose only
sealer is the operator, that is again the operator's claim; only independent sealers or a
witness's cosignature make a time independent of the operator.
"""

from __future__ import annotations

from typing import Any

from evanchor.anchor.report.language import dual_epoch, dual_timestamp_text
from evanchor.anchor.report.statements import (
    Basis,
    ChainSourceKind,
    Context,
    Section,
    Statement,
    tied,
)
from evanchor.anchor.verify.anchor_evidence import AnchorFacts
from evanchor.anchor.verify.checkpoint_note import ordinal
from evanchor.anchor.verify.report import Witnessing


def checked_against(ctx: Context, positions: list[int], anchor: AnchorFacts | None) -> Statement:
    """What the anchor of these records was checked against, and so how far it is proven."""
    t = ctx.t
    label = ctx.who(positions, t("核验依据", "Checked against"))
    if anchor is None:
        return Statement(
            label,
            t(
                "该记录未锚定到区块链：只证明其内容与日志检查点一致；其时间与存在只有节点"
                "运营方的声明，没有独立证明。",
                "Not anchored on a chain: the record is shown to be in the log's checkpoint,"
                " but its time and existence rest only on the node operator's word.",
            ),
            Basis.NOT_PROVEN,
        )
    if anchor.tied_to == "bundle":
        return Statement(
            label,
            t(
                "仅离线核验：锚定证据与证据包自带的区块头相符，但未与任何区块链或可信区块哈希"
                "比对，因此尚不能证明该区块属于一条真实的链。请按第九部分用 --rpc 或 "
                "--block-hash 核验。",
                "Offline only: the anchor evidence fits the bundle's own block header, but was"
                " not compared with any chain or trusted block hash, so it is not yet shown that"
                " this block is on a real chain. Check it with --rpc or --block-hash (part 9).",
            ),
            Basis.NOT_PROVEN,
        )
    if anchor.tied_to == "trusted block hash":
        return Statement(
            label,
            t(
                f"锚定区块的哈希与核验者提供的可信区块哈希一致（{anchor.block_hash.hex()}）。"
                "未连接区块链：写入者权限与提交机构的登记未核验。",
                "The anchoring block's hash equals the trusted block hash the verifier gave"
                f" ({anchor.block_hash.hex()}). No chain was asked: the writer's role and the"
                " agency's registration were not checked.",
            ),
            Basis.VERIFIED,
        )
    source = ctx.chain_source
    where = t("核验者指定的链", "the chain the verifier named")
    if source is not None and source.kind is ChainSourceKind.RPC:
        where = t(f"链节点 {source.detail} ", f"the chain node at {source.detail}")
    elif source is not None and source.kind is ChainSourceKind.CHAIN_EXPORT:
        where = t(
            f"由创世文件重新执行的链导出 {source.detail} ",
            f"the chain export {source.detail}, re-executed from its genesis",
        )
    return Statement(
        label,
        t(
            f"已与{where}核对：区块哈希、锚定交易及其事件、写入者在该区块的权限、"
            "提交机构在该区块的登记。",
            f"Checked with {where}: the block's hash, the anchoring transaction and its event,"
            " the writer's role and the agency's registration at that block.",
        ),
        Basis.VERIFIED,
    )


# -- who submitted it ----------------------------------------------------------------------


def submitter_section(ctx: Context) -> Section:
    t = ctx.t
    statements: list[Statement] = []
    for positions, (agency, signer, registered_at) in ctx.groups(
        lambda p: (p.agency, p.signer, p.agency_registered_at)
    ):
        statements += [
            Statement(
                ctx.who(positions, t("提交机构（统一社会信用代码）", "Agency (credit code)")),
                t(f"{agency}（记录中载明）", f"{agency} (as the record names it)"),
                Basis.RECORD,
            ),
            Statement(
                ctx.who(positions, t("机构名称", "Agency name")),
                t(
                    "证据包不含机构名称。可凭上述统一社会信用代码在国家企业信用信息公示系统查询。",
                    "The bundle holds no name. Look the credit code up in the National"
                    " Enterprise Credit Information Publicity System.",
                ),
                Basis.NOT_PROVEN,
            ),
            *_signer(ctx, positions, agency, signer, registered_at),
        ]
    return Section("submitter", t("三、提交方", "3. Who submitted it"), tuple(statements))


def _signer(
    ctx: Context, positions: list[int], agency: str, signer: str | None, registered_at: int | None
) -> list[Statement]:
    t = ctx.t
    if signer is None:
        return [
            Statement(
                ctx.who(positions, t("签名密钥", "Signing key")),
                t(
                    "证据包中没有提交方的签名：不能证明记录由谁提交。",
                    "The bundle carries no submitter's signature: who submitted the record is"
                    " not shown.",
                ),
                Basis.NOT_PROVEN,
            )
        ]
    signed = Statement(
        ctx.who(positions, t("签名密钥地址", "Signing key address")),
        t(
            f"{signer}\n记录的承诺值由该密钥签名。",
            f"{signer}\nThe record's commitment is signed with this key.",
        ),
        Basis.VERIFIED,
        digest=True,
    )
    label = ctx.who(positions, t("密钥登记", "Key registration"))
    if registered_at is None:
        registration = Statement(
            label,
            t(
                "该密钥在锚定时是否登记为该机构：未核验（需与区块链核对：--rpc 或 "
                "--chain-export）。",
                "Whether this key was registered to the agency when anchored: not checked"
                " (needs a chain: --rpc or --chain-export).",
            ),
            Basis.NOT_PROVEN,
        )
    else:
        registration = Statement(
            label,
            t(
                f"在第 {registered_at} 号区块（锚定时），锚定合约的机构登记簿将该密钥登记为"
                f"统一社会信用代码 {agency} 的机构。登记簿由节点运营方维护：密钥属于该机构，"
                "是运营方登记时的认定。",
                f"At block {registered_at} (when anchored) the anchor contract's agency registry"
                f" listed this key for credit code {agency}. The registry is kept by the node's"
                " operator: that the key belongs to the agency is the operator's finding when"
                " it registered the key.",
            ),
            Basis.VERIFIED,
        )
    return [signed, registration]


# -- when, and who vouches -----------------------------------------------------------------


def time_section(ctx: Context) -> Section:
    t = ctx.t
    statements: list[Statement] = []
    # A case bundle's records share one checkpoint (verified), hence one sealed_at.
    for positions, (anchor, witnessing) in ctx.groups(lambda p: (p.anchor, p.witnessing)):
        sealed_at = _node_time(ctx, ctx.proven[positions[0]].sealed_at)
        statements += _witnesses(ctx, positions, witnessing)
        statements += _block_time(ctx, positions, anchor)
        statements.append(
            Statement(
                ctx.who(positions, t("检查点封存时间", "Checkpoint sealed")),
                t(
                    f"{sealed_at}（节点时钟，运营方的声明；该值写入检查点的封存叶，受检查点的根保护，"
                    "证据包不能改动它，但其真实性只有节点担保）",
                    f"{sealed_at} (the node's clock, the operator's claim; it is committed in the"
                    " checkpoint's seal leaf, so the bundle cannot change it, but only the node"
                    " vouches that it is true)",
                ),
                Basis.CLAIM,
            )
        )
    for positions, accepted_at in ctx.groups(lambda p: p.accepted_at):
        accepted = dual_timestamp_text(accepted_at, ctx.lang)
        statements.append(
            Statement(
                ctx.who(positions, t("节点接收时间", "Accepted by the node")),
                t(
                    f"{accepted}（节点时钟，运营方的声明；该值包含在日志叶中，受检查点的根保护，"
                    "未被改动）",
                    f"{accepted} (the node's clock: the operator's claim; it is in the leaf,"
                    " covered by the checkpoint's root, unaltered)",
                ),
                Basis.CLAIM,
            )
        )
    note = t(
        "记录所载的发生时间是提交方的陈述（见第二部分）。下列各时间注明由谁担保。",
        "The time a record says it happened is the submitter's statement (part 2). Each time"
        " below says who vouches for it.",
    )
    title = t("四、存在时间及其担保方", "4. When it existed, at the latest, and who vouches")
    return Section("time", title, tuple(statements), note)


def _node_time(ctx: Context, value: Any) -> str:
    """The node's `sealed_at` (committed in the seal leaf, in the node's one form)."""
    if isinstance(value, str):
        try:
            return dual_timestamp_text(value, ctx.lang)
        except ValueError:
            pass
    return repr(value)


def _block_time(ctx: Context, positions: list[int], anchor: AnchorFacts | None) -> list[Statement]:
    t = ctx.t
    label = ctx.who(positions, t("最迟存在时间", "Existed no later than"))
    if anchor is None:
        return [
            Statement(
                label,
                t(
                    "未锚定：没有区块时间，也没有任何独立于节点的时间证明。",
                    "Not anchored: no block time, and no proof of time independent of the node.",
                ),
                Basis.NOT_PROVEN,
            )
        ]
    when = dual_epoch(anchor.block_timestamp, ctx.lang)
    text = t(
        f"{when}\n包含该记录的检查点写入第 {anchor.block_number} 号区块的时间"
        "（区块时间，精确到秒）。",
        f"{when}\nWhen the checkpoint holding the record was written in block"
        f" {anchor.block_number} (the block's time, in whole seconds).",
    )
    if not tied(anchor):
        text += t(
            "该区块尚未与链核对（见第一部分）。",
            " This block has not been checked against a chain (part 1).",
        )
    vouches = Statement(
        ctx.who(positions, t("谁担保这一时间", "Who vouches for this time")),
        t(
            "区块时间由出块方（该链的封装节点）写入区块头。evanchor 内置链只有一个出块方，即节点"
            "运营方本身：对运营方而言，这一时间只是运营方自己的声明。只有当该链由独立于运营方的"
            "多方共同出块，或有独立见证人联署该检查点时，这一时间才构成针对运营方的独立证明。",
            "The block's time is written into its header by the block's sealer. The embedded"
            " evanchor chain has one sealer, the node's operator itself: against the operator,"
            " this time is only the operator's own claim. It is independent of the operator only"
            " if the chain is sealed by parties independent of the operator, or an independent"
            " witness cosigned the checkpoint.",
        ),
        Basis.CLAIM,
    )
    return [
        Statement(label, text, Basis.VERIFIED if tied(anchor) else Basis.NOT_PROVEN),
        vouches,
    ]


def _witnesses(ctx: Context, positions: list[int], witnessing: Witnessing) -> list[Statement]:
    """Who witnessed the checkpoint and when, as far as the verification checked it; the
    witnessed time (the k-th earliest cosignature) is the one time that holds against the
    operator. Never worded as witnessed unless the trusted witnesses' cosignatures were
    checked and met the policy."""
    t = ctx.t
    label = ctx.who(positions, t("独立见证", "Independent witness"))
    if not witnessing.checked:
        if not witnessing.note_present:
            text = t(
                "未核验：证据包未附带检查点的签名说明（signed note），没有可核验的见证人联署。"
                "除区块时间外，没有第三方担保的时间。",
                "Not checked: the bundle carries no signed checkpoint note, so there is no"
                " witness cosignature to check. Apart from the block's time, no third party"
                " vouches for any time.",
            )
        else:
            text = t(
                "未核验：证据包附带检查点的签名说明，但核验时未提供见证人公钥（--witness-key），"
                "因此不能认为该检查点已有独立见证。",
                "Not checked: the bundle carries the signed checkpoint note, but no witness keys"
                " were given (--witness-key), so the checkpoint is not shown to be witnessed.",
            )
        return [Statement(label, text, Basis.NOT_PROVEN)]
    assert witnessing.witnessed_at is not None
    statements = [
        Statement(
            ctx.who(positions, t("见证人联署", "Witness cosignature")),
            t(
                f"{w.witness}\n于 {dual_epoch(w.timestamp, ctx.lang)}联署该检查点（已用该见证人的"
                f"公钥 {w.key} 核验）：见证人担保，不晚于此时它已看到这一检查点，且与它此前联署过"
                "的该日志各检查点一致。",
                f"{w.witness}\nCosigned the checkpoint at {dual_epoch(w.timestamp, ctx.lang)}"
                f" (checked with the witness's key {w.key}): the witness vouches that by then it"
                " had seen this checkpoint, consistent with every earlier checkpoint of the log"
                " it had cosigned.",
            ),
            Basis.VERIFIED,
        )
        for w in witnessing.cosignatures
    ]
    k, n = witnessing.policy, len(witnessing.trusted)
    when = dual_epoch(witnessing.witnessed_at, ctx.lang)
    statements += [
        Statement(
            ctx.who(positions, t("最迟存在时间（独立见证）", "Existed no later than (witnessed)")),
            t(
                f"{when}\n见证策略为 {n} 个受信任见证人中至少 {k} 个联署，取第 {k} 早的联署时间："
                f"只要这 {k} 个见证人中有一个诚实，包含该记录的检查点（从而该记录）不晚于此时已存在"
                "且此后未被改动。这一时间由见证人担保，不依赖节点运营方。",
                f"{when}\nThe policy asks for {k} of {n} trusted witnesses; this is the"
                f" {ordinal(k)} earliest cosignature: if any one of those {k} witnesses is"
                " honest, the checkpoint holding the record (and so the record) existed,"
                " unaltered, no later than then. This time is vouched for by the witnesses, not"
                " by the node's operator.",
            ),
            Basis.VERIFIED,
        ),
        Statement(
            ctx.who(positions, t("联署不证明什么", "What a cosignature does not prove")),
            t(
                "联署只证明见证人在其时间看到了这一检查点、且与其先前所见一致；不证明记录所述"
                "事实属实，也不证明记录在节点所称的接收时间提交。",
                "A cosignature proves only that the witness saw this checkpoint at its time,"
                " consistent with what it had seen before; not that the records' facts are true,"
                " nor that a record was submitted when the node says it accepted it.",
            ),
            Basis.NOT_PROVEN,
        ),
    ]
    return statements


# -- chain and contract --------------------------------------------------------------------


def chain_section(ctx: Context) -> Section:
    t = ctx.t
    statements: list[Statement] = []
    for positions, anchor in ctx.groups(lambda p: p.anchor):
        if anchor is not None:
            statements += _anchor_rows(ctx, positions, anchor)
    if not statements:
        statements.append(
            Statement(
                t("区块链", "Chain"),
                t("该记录未锚定到任何区块链。", "The record is not anchored on any chain."),
                Basis.NOT_PROVEN,
            )
        )
    return Section("chain", t("七、区块链与合约", "7. Chain and contract"), tuple(statements))


def _anchor_rows(ctx: Context, positions: list[int], anchor: AnchorFacts) -> list[Statement]:
    t = ctx.t
    block = Basis.VERIFIED if tied(anchor) else Basis.NOT_PROVEN
    with_chain = anchor.tied_to == "rpc"
    asked = Basis.VERIFIED if with_chain else Basis.CLAIM
    writer = anchor.writer
    if with_chain:
        writer += t(
            f"\n在第 {anchor.block_number} 号区块持有写入权限。",
            f"\nHeld the writer role at block {anchor.block_number}.",
        )
    transaction = anchor.tx_hash.hex()
    if not with_chain:
        transaction += t(
            "\n（仅为证据包所载；离线核验不涉及此值）",
            "\n(as the bundle states; not checked offline)",
        )
    contract = t(
        f"{anchor.contract}\n该地址的合约代码与 EvidenceAnchor 的发布构建一致：只有持有写入权限"
        "的账户能写入检查点，且每个新检查点须证明与上一个一致（只能追加，不能改写）。",
        f"{anchor.contract}\nIts code is EvidenceAnchor's published build: only an account"
        " holding the writer role can store a checkpoint, and each new one must be proven"
        " consistent with the last (append-only).",
    )
    rows = (
        (t("链标识（chain id）", "Chain id"), str(anchor.chain_id), asked, False),
        (t("锚定合约", "Anchor contract"), contract, block, True),
        (
            t("写入者（节点的锚定账户）", "Writer (the node's anchoring account)"),
            writer,
            asked,
            True,
        ),
        (
            t("链上检查点序号", "Checkpoint index on chain"),
            str(anchor.checkpoint_index),
            block,
            False,
        ),
        (t("区块号", "Block number"), str(anchor.block_number), block, False),
        (t("区块哈希", "Block hash"), anchor.block_hash.hex(), block, True),
        (t("锚定交易", "Anchoring transaction"), transaction, asked, True),
    )
    return [
        Statement(ctx.who(positions, label), text, basis, digest)
        for label, text, basis, digest in rows
    ]
